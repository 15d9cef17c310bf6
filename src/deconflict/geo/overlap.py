"""The exact conflict test between two footprints or two 4D volumes, and what overlaps.

Footprints conflict when they intersect or come within ``TOLERANCE_M`` of each other.
Every case reduces to an exact S2 distance (0 when the shapes share a point):
polygon-polygon is ``distance(a, b)``; a circle is its centre plus a radius, so
circle-anything is ``distance(centre, other) - radius`` and circle-circle subtracts
both radii. No polygon approximation of a circle enters the *test*; the inscribed
polygon only draws the overlap in a report.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import spherely

from deconflict.errors import InternalError, InvalidInput
from deconflict.geo.drawing import draw_polygons
from deconflict.geo.earth import EARTH_RADIUS_M, TOLERANCE_M
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D


def footprint_distance_m(a: Footprint, b: Footprint) -> float:
    """Shortest surface distance between two footprints; 0 when they share a point."""
    ga, ra = _distance_operand(a)
    gb, rb = _distance_operand(b)
    d = float(spherely.distance(ga, gb, radius=EARTH_RADIUS_M))
    return max(0.0, d - ra - rb)


def footprints_conflict(a: Footprint, b: Footprint, tolerance_m: float = TOLERANCE_M) -> bool:
    return footprint_distance_m(a, b) <= tolerance_m


def _distance_operand(f: Footprint) -> tuple[Any, float]:
    if isinstance(f, Circle):
        return f.center_geography, f.radius_m
    return f.geography, 0.0


def footprint_distances_m(a: list[Footprint], b: list[Footprint]) -> np.ndarray:
    """Vectorised ``footprint_distance_m`` over pairs ``(a[i], b[i])``."""
    if not a:
        return np.zeros(0)
    ga, ra = zip(*(_distance_operand(f) for f in a), strict=True)
    gb, rb = zip(*(_distance_operand(f) for f in b), strict=True)
    d = spherely.distance(
        np.array(ga, dtype=object), np.array(gb, dtype=object), radius=EARTH_RADIUS_M
    )
    out: np.ndarray = np.maximum(0.0, np.asarray(d, dtype=float) - np.asarray(ra) - np.asarray(rb))
    return out


def volumes_conflict(a: Volume4D, b: Volume4D, tolerance_m: float = TOLERANCE_M) -> bool:
    """Closed time windows and altitude bands overlap, and the footprints meet."""
    if a.time.overlap(b.time) is None or a.altitude.overlap(b.altitude) is None:
        return False
    return footprints_conflict(a.footprint, b.footprint, tolerance_m)


@dataclass(frozen=True)
class Overlap:
    """Where, when and at what altitudes two volumes overlap.

    ``geometry`` is GeoJSON: the common area as a (Multi)Polygon, or a Point where the
    footprints only touch (within tolerance) and share no area.
    """

    time: TimeWindow
    altitude: AltitudeBand
    geometry: dict[str, Any]
    area_m2: float


def overlap(
    a: Volume4D, b: Volume4D, tolerance_m: float = TOLERANCE_M, draw: bool = True
) -> Overlap | None:
    """The overlap of two volumes, or None when they do not conflict.

    ``draw=False``: its area only, geometry left empty (``{}``), for a report that
    shows no geometry; drawing is most of an overlap's cost."""
    time = a.time.overlap(b.time)
    altitude = a.altitude.overlap(b.altitude)
    if time is None or altitude is None:
        return None
    if not footprints_conflict(a.footprint, b.footprint, tolerance_m):
        return None
    geometry, area = footprint_overlap(a.footprint, b.footprint, draw)
    return Overlap(time=time, altitude=altitude, geometry=geometry, area_m2=area)


def footprint_overlap(
    a: Footprint, b: Footprint, draw: bool = True
) -> tuple[dict[str, Any], float]:
    """GeoJSON of the common area and its area in m², for footprints known to conflict.

    The footprints were validated when they were read, so a rule that fails here fails
    on shapes this module derived (a circle's drawn polygon): our failure, which must
    not reach the user as invalid input.
    """
    try:
        return _drawn_overlap(a, b, draw)
    except InvalidInput as exc:
        raise InternalError(f"drawing the overlap of two conflicting footprints: {exc}") from exc


def _drawn_overlap(a: Footprint, b: Footprint, draw: bool = True) -> tuple[dict[str, Any], float]:
    for f in (a, b):
        if isinstance(f, Circle) and f.radius_m < TOLERANCE_M:
            # Below the promised precision a circle is its centre (its inscribed
            # polygon would enclose under a square millimetre: no area at all).
            return (f.to_geojson() if draw else {}), 0.0
    pa = _as_polygon(a)
    pb = _as_polygon(b)
    common = spherely.intersection(pa.geography, pb.geography)
    area = float(spherely.area(common, radius=EARTH_RADIUS_M))
    if not draw:
        return {}, (area if not spherely.is_empty(common) and area > 0.0 else 0.0)
    if not spherely.is_empty(common) and area > 0.0:
        drawn = _to_geojson(common)
        if drawn is not None:
            return drawn, area
        return _touch_point(pa, pb), area  # a sliver too thin to draw in degrees
    return _touch_point(pa, pb), 0.0


def _as_polygon(f: Footprint) -> Polygon:
    return f.as_polygon if isinstance(f, Circle) else f


def _touch_point(a: Polygon, b: Polygon) -> dict[str, Any]:
    """The vertex of either shape nearest the other: where two touching shapes meet."""
    best: tuple[float, tuple[float, float]] | None = None
    for this, other in ((a, b), (b, a)):
        lons = np.array([v[0] for v in this.vertices])
        lats = np.array([v[1] for v in this.vertices])
        d = spherely.distance(spherely.points(lons, lats), other.geography, radius=EARTH_RADIUS_M)
        i = int(np.argmin(d))
        if best is None or float(d[i]) < best[0]:
            best = (float(d[i]), this.vertices[i])
    assert best is not None
    return {"type": "Point", "coordinates": list(best[1])}


def _to_geojson(geography: Any) -> dict[str, Any] | None:
    """RFC 7946 GeoJSON for an intersection result (spherely writes WKT, not GeoJSON):
    split at the antimeridian, a region around a pole drawn as a cap (``drawing``)."""
    return draw_polygons(_wkt_polygons(spherely.to_wkt(geography, precision=17)))


_POLYGONAL = re.compile(r"\b(?:MULTIPOLYGON|POLYGON)\s*\(")
_PARENS = re.compile(r"[()]")


def _wkt_polygons(wkt: str) -> list[list[list[list[float]]]]:
    """The polygons of a (MULTI)POLYGON or GEOMETRYCOLLECTION, as GeoJSON rings.

    The points and lines an intersection may carry beside its polygons (where the
    shapes also touch) are left out: they have no area to draw, and a line read as a
    ring drew the whole world. Not shapely's WKT reader: S2 may end a ring on the
    antimeridian's other spelling (-180 against 180), which it refuses as unclosed."""
    polygons: list[list[list[list[float]]]] = []
    parens = [m.start() for m in _PARENS.finditer(wkt)]
    for found in _POLYGONAL.finditer(wkt):
        start = found.end() - 1
        depth = 0
        k = bisect.bisect_left(parens, start)
        while True:
            depth += 1 if wkt[parens[k]] == "(" else -1
            if depth == 0:
                break
            k += 1
        polygons.extend(p for p in _rings_in(wkt[start : parens[k] + 1]) if p)
    return polygons


def _rings_in(text: str) -> list[list[list[list[float]]]]:
    """The rings of a POLYGON's or MULTIPOLYGON's parenthesised body, by polygon."""
    polygons: list[list[list[list[float]]]] = []
    ring_start = -1
    current: list[list[list[float]]] = []
    for m in _PARENS.finditer(text):
        k = m.start()
        if text[k] == "(":
            ring_start = k + 1
        elif ring_start >= 0:
            ring = [[float(x) for x in pt.split()[:2]] for pt in text[ring_start:k].split(",")]
            ring[-1] = list(ring[0])
            current.append(ring)
            ring_start = -1
        else:
            polygons.append(current)
            current = []
    if current:
        polygons.append(current)
    return polygons
