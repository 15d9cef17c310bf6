"""Spherical regions drawn as RFC 7946 GeoJSON: split at the antimeridian, poles capped.

A region of the sphere (an overlap in a report) has great-circle edges and may cross
the antimeridian or surround a pole; GeoJSON readers draw straight lines in longitude
and latitude and must never see a ring that jumps from 180 to -180 (RFC 7946, 3.1.9).
Each ring is therefore densified along its great circles, its longitudes unwrapped
into a continuous sequence, closed over the pole it winds around if it winds around
one, then cut into the [-180, 180] window with shapely.

Every ring of an S2 polygon keeps the polygon's interior on its left (shells turn
counter-clockwise, holes clockwise), so the drawn polygon is the intersection of the
regions left of each of its rings; that needs no guess about which ring is which:
- a ring that winds eastwards once round the Earth has the north pole on its left,
  westwards the south pole;
- a ring that does not wind has on its left its planar inside when it turns
  counter-clockwise in the plane, its planar outside otherwise.
Both rules read the drawn ring, which strays from the true one by up to 0.3 % of an
edge's length: a sliver narrower than that (micrometres wide along an edge through a
pole) is drawn as a ring that crosses itself, and its turn in the plane says nothing.
So the side chosen is checked against the sphere: the area left of the true ring (its
vertices, exactly as S2 wrote them) is measured on the sphere, and a drawn side whose
area is more than half the sphere (2π sr) away from it is the wrong one; its
complement is drawn. No drawing error comes near half the sphere, so the check only
overturns a side decided wrongly, and only where the sphere's answer is above rounding.
A ring whose area rounding cannot tell from nothing (S2 writes the bare pole as a
polygon whose vertices are all on it) winds round the pole in the map but encloses
nothing: as a shell it is drawn as nothing, as a hole it takes nothing away.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon as PlanarPolygon
from shapely.geometry import box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from deconflict.geo.earth import unit_vector

MAX_LON_STEP_DEG = 10.0
"""Widest drawn step in longitude: near a pole a short edge may sweep many degrees."""

_WORLD = box(-180.0, -90.0, 180.0, 90.0)

Ring = list[tuple[float, float]]


def draw_polygons(polygons: Sequence[Sequence[Sequence[Sequence[float]]]]) -> dict[str, Any] | None:
    """GeoJSON (Multi)Polygon of spherical polygons given as rings of (lon, lat)
    vertices (first ring the shell; a ring need not repeat its first vertex); None
    when nothing of them is drawable at double precision (a sliver)."""
    dense = [[_densified([(p[0], p[1]) for p in ring]) for ring in rings] for rings in polygons]
    if len(dense) == 1 and len(dense[0]) == 1:
        simple = _simple(dense[0][0])
        if simple is not None:
            return simple
    regions: list[BaseGeometry] = []
    for rings, dense_rings in zip(polygons, dense, strict=True):
        region: BaseGeometry = _WORLD
        for k, (ring, dense_ring) in enumerate(zip(rings, dense_rings, strict=True)):
            left = _left_steradians([(p[0], p[1]) for p in ring])
            if left is None:
                # No area rounding can tell (S2 writes the bare pole as a polygon of
                # pole vertices): a shell of it is nothing, a hole of it takes nothing.
                if k == 0:
                    break
                continue
            region = region.intersection(_left_of(dense_ring, left))
        else:
            regions.append(region)
    merged = shapely.make_valid(shapely.union_all(regions)) if regions else None
    parts = [p for p in _polygons(merged) if not p.is_empty and p.area > 0.0]
    if not parts:
        return None
    oriented = [orient(p, sign=1.0) for p in parts]
    shape = oriented[0] if len(oriented) == 1 else shapely.MultiPolygon(oriented)
    drawn: dict[str, Any] = _as_lists(mapping(shape))
    return drawn


def _simple(points: Ring) -> dict[str, Any] | None:
    """The common case, drawn as it is: one densified ring, off the poles, not crossing
    the antimeridian, turning counter-clockwise in the plane and not crossing itself;
    None for any other. A sliver narrower than the drawing's stray from its arcs is
    drawn as a ring that crosses itself, whatever its turn: that one takes the long
    way, where its side is checked against the sphere and the drawing made valid."""
    for (lon0, _), (lon1, _) in zip(points, [*points[1:], points[0]], strict=True):
        if abs(lon1 - lon0) >= 180.0 or not -180.0 <= lon0 <= 180.0:
            return None  # S2 writes longitudes a hair beyond 180 too
    if any(abs(lat) == 90.0 for _, lat in points) or _signed_area(points) <= 0.0:
        return None
    if not PlanarPolygon(points).is_valid:
        return None
    closed = [[lon, lat] for lon, lat in points]
    closed.append(list(closed[0]))
    return {"type": "Polygon", "coordinates": [closed]}


def _polygons(g: BaseGeometry | None) -> list[PlanarPolygon]:
    if g is None:
        return []
    if isinstance(g, PlanarPolygon):
        return [g]
    return [p for part in getattr(g, "geoms", []) for p in _polygons(part)]


def _as_lists(geojson: Any) -> Any:
    """shapely's mapping uses tuples; JSON and its readers expect lists."""
    if isinstance(geojson, dict):
        return {k: _as_lists(v) for k, v in geojson.items()}
    if isinstance(geojson, tuple | list):
        return [_as_lists(v) for v in geojson]
    return geojson


def _left_of(ring: Ring, left_steradians: float | None = None) -> BaseGeometry:
    """The region left of the closed spherical ring (densified), drawn in
    [-180, 180] x [-90, 90].

    The side is read from the drawn ring (its winding round the pole, or its turn in
    the plane), then checked against ``left_steradians``, the area left of the true
    ring: a side more than half the sphere away from it gives way to its complement
    (the module's docstring says why). None skips the check."""
    points = _unwrapped(ring)
    if len(points) < 3:
        return _WORLD
    winding = points[-1][0] + _closing_step(points) - points[0][0]
    side: BaseGeometry
    if abs(winding) > 180.0:
        side = _folded(PlanarPolygon(_polar_cap(points, winding)))
    else:
        inside = _folded(PlanarPolygon(points))
        side = inside if _signed_area(points) > 0.0 else _WORLD.difference(inside)
    if left_steradians is not None and abs(_steradians(side) - left_steradians) > 2.0 * math.pi:
        side = _WORLD.difference(side)
    return side


def _left_steradians(ring: Ring) -> float | None:
    """The area of the sphere left of the closed ring of (lon, lat) vertices, in
    steradians in [0, 4π); None when rounding cannot tell it from 0 (or from 4π).

    The signed areas of the triangles fanned from the first vertex a, each
    2 atan2(a · (b x c), 1 + a·b + b·c + c·a), add up to the left area modulo 4π.
    The triple product is taken on the differences b - a and c - a: on the vectors
    themselves a ring micrometres wide loses its area, and its sign, to rounding."""
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 3:
        return None
    a = unit_vector(*ring[0])
    d = [tuple(x - y for x, y in zip(unit_vector(*p), a, strict=True)) for p in ring[1:]]
    total = 0.0
    for u, v in itertools.pairwise(d):
        cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
        triple = a[0] * cross[0] + a[1] * cross[1] + a[2] * cross[2]
        # With b = a + u and c = a + v: a·b = 1 + a·u, a·c = 1 + a·v, b·c = 1 + a·u + a·v + u·v.
        au = a[0] * u[0] + a[1] * u[1] + a[2] * u[2]
        av = a[0] * v[0] + a[1] * v[1] + a[2] * v[2]
        uv = u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
        total += 2.0 * math.atan2(triple, 4.0 + 2.0 * (au + av) + uv)
    # Each vector is off by an ulp or two: each product, by that much times the
    # other difference; 64 ulps per difference is a wide margin.
    noise = 64.0 * _ULP * sum(math.sqrt(x * x + y * y + z * z) for x, y, z in d)
    if abs(total) <= noise or abs(abs(total) - 4.0 * math.pi) <= noise:
        return None
    return total % (4.0 * math.pi)


_ULP = 2.0**-52


def _steradians(g: BaseGeometry) -> float:
    """The area on the unit sphere of a region drawn in degrees of longitude and
    latitude, its edges straight in the map: the integral of cos(latitude), which
    along a straight edge is -Δlon · sin(mean latitude) · sinc(Δlat / 2) (Green)."""
    total = 0.0
    for p in _polygons(g):
        for k, ring in enumerate([p.exterior, *p.interiors]):
            xy = np.radians(np.asarray(ring.coords))
            if len(xy) < 4:
                continue
            dx = np.diff(xy[:, 0])
            mean = (xy[1:, 1] + xy[:-1, 1]) / 2.0
            half = np.diff(xy[:, 1]) / 2.0
            area = abs(float(np.sum(-dx * np.sin(mean) * np.sinc(half / np.pi))))
            total += area if k == 0 else -area
    return total


def _polar_cap(points: Ring, winding: float) -> Ring:
    """The planar ring of a ring that winds once round the Earth, eastwards (the north
    pole on its left) or westwards (the south pole): opened where it crosses the
    antimeridian and closed along the pole's edge of the map, so that the drawing
    spans exactly [-180, 180] (a cut elsewhere left two pieces a rounding apart).

    The first point is moved into [-180, 180), so the ring, once round, ends in
    [180, 540) eastwards and (-540, -180) westwards: the crossing is found if the end
    counts, eastwards, as crossing 180 (a ring starting on -180 ends exactly on it)."""
    east = winding > 0.0
    turn = 360.0 if east else -360.0
    shift = math.floor((points[0][0] + 180.0) / 360.0) * 360.0
    ring = [(x - shift, y) for x, y in points]
    ring.append((ring[0][0] + turn, ring[0][1]))
    edge = 180.0 if east else -180.0
    j = next(
        k
        for k in range(len(ring) - 1)
        if (ring[k][0] < edge <= ring[k + 1][0] if east else ring[k + 1][0] < edge <= ring[k][0])
    )
    (x0, y0), (x1, y1) = ring[j], ring[j + 1]
    cross = y0 + (y1 - y0) * (edge - x0) / (x1 - x0)
    pole = 90.0 if east else -90.0
    return [
        (-edge, cross),
        *[(x - turn, y) for x, y in ring[j + 1 :]],
        *ring[1 : j + 1],
        (edge, cross),
        (edge, pole),
        (-edge, pole),
    ]


def _signed_area(points: Ring) -> float:
    """Positive when the ring turns counter-clockwise in the plane. Taken about the
    first point: about the origin, a centimetre-wide ring near longitude 180 loses its
    area, and its sign, to rounding."""
    ox, oy = points[0]
    rel = [(x - ox, y - oy) for x, y in points]
    return 0.5 * sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(rel, [*rel[1:], rel[0]], strict=True)
    )


def _closing_step(points: Ring) -> float:
    return _wrap(points[0][0] - points[-1][0])


def _folded(planar: PlanarPolygon) -> BaseGeometry:
    """A planar polygon in unwrapped longitudes, cut into the [-180, 180] window."""
    valid = shapely.make_valid(planar) if not planar.is_valid else planar
    west, _, east, _ = valid.bounds
    pieces = []
    for k in range(math.floor((west + 180.0) / 360.0), math.floor((east + 180.0) / 360.0) + 1):
        window = box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)
        piece = valid.intersection(window)
        if not piece.is_empty:
            pieces.append(shapely.affinity.translate(piece, xoff=-360.0 * k))
    return shapely.union_all(pieces) if pieces else PlanarPolygon()


def _wrap(dlon: float) -> float:
    """A longitude difference into [-180, 180)."""
    return (dlon + 180.0) % 360.0 - 180.0


POLE_LAT = 90.0 - 1e-12
"""Latitudes beyond this are the pole (0.1 µm): where longitude means nothing."""
OPPOSITE_MERIDIANS_DEG = 1e-9
"""An edge between meridians this close to opposite passes over the pole."""


def _snapped(ring: Ring) -> Ring:
    """Vertices on a pole at exactly ±90; an edge over a pole gets the pole as a vertex,
    so that which side of it the ring turns is decided by the region, not by rounding."""
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    ring = [(lon, math.copysign(90.0, lat) if abs(lat) > POLE_LAT else lat) for lon, lat in ring]
    out: Ring = []
    n = len(ring)
    for k in range(n):
        a, b = ring[k], ring[(k + 1) % n]
        out.append(a)
        if abs(a[1]) == 90.0 or abs(b[1]) == 90.0 or a[1] + b[1] == 0.0:
            continue
        if abs(abs(_wrap(b[0] - a[0])) - 180.0) < OPPOSITE_MERIDIANS_DEG:
            out.append((a[0], math.copysign(90.0, a[1] + b[1])))
    return out


def _densified(ring: Ring) -> Ring:
    """Vertices added along each great-circle edge until the straight step in longitude
    and latitude strays from the arc by at most ``DEVIATION`` of the edge's length (and
    a centimetre), and sweeps at most ``MAX_LON_STEP_DEG``; the ring is returned open.

    Bisection, not even steps: an edge passing centimetres from a pole sweeps half the
    longitudes within those centimetres, where even steps would cut the corner."""
    ring = _snapped(ring)
    out: Ring = []
    n = len(ring)
    for k in range(n):
        a, b = ring[k], ring[(k + 1) % n]
        out.append(a)
        if abs(a[1]) == 90.0 or abs(b[1]) == 90.0:
            continue  # a meridian: a straight line in longitude and latitude already
        if _short(a, b):
            continue
        va, vb = unit_vector(*a), unit_vector(*b)
        tolerance = max(DEVIATION * _angle(va, vb), MIN_DEVIATION_RAD)
        _bisect(a, va, b, vb, tolerance, out, 0)
    return out


DEVIATION = 3e-3
"""How far a drawn step may stray from its arc, as a fraction of the edge's length."""
MIN_DEVIATION_RAD = 0.01 / 6_371_008.8
"""A centimetre: no edge is drawn closer to its arc than the precision the service keeps."""
MAX_DEPTH = 40


def _short(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """An edge drawn straight within ``DEVIATION`` of its length without bisecting: an arc
    of angle L bows from the straight step in longitude and latitude by about
    L² tan(latitude) / 8, so L tan(latitude) under ``DEVIATION`` leaves a safe margin."""
    dlon = _wrap(b[0] - a[0])
    if abs(dlon) > MAX_LON_STEP_DEG:
        return False
    low, high = sorted((abs(a[1]), abs(b[1])))
    if high > 89.0:
        return False
    length = math.radians(math.hypot(dlon * math.cos(math.radians(low)), b[1] - a[1]))
    return length * math.tan(math.radians(high) + length) < DEVIATION


def _angle(u: tuple[float, float, float], v: tuple[float, float, float]) -> float:
    cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    return math.atan2(math.hypot(*cross), sum(x * y for x, y in zip(u, v, strict=True)))


def _bisect(
    a: tuple[float, float],
    va: tuple[float, float, float],
    b: tuple[float, float],
    vb: tuple[float, float, float],
    tolerance: float,
    out: Ring,
    depth: int,
) -> None:
    """Appends to ``out`` the points strictly between ``a`` and ``b`` that draw the arc."""
    sweep = _wrap(b[0] - a[0])
    planar = unit_vector(a[0] + sweep / 2.0, (a[1] + b[1]) / 2.0)
    s = [x + y for x, y in zip(va, vb, strict=True)]
    norm = math.sqrt(sum(x * x for x in s))
    if depth >= MAX_DEPTH or norm == 0.0:
        return
    vm = (s[0] / norm, s[1] / norm, s[2] / norm)
    if abs(sweep) <= MAX_LON_STEP_DEG and _angle(planar, vm) <= tolerance:
        return
    lat = math.degrees(math.atan2(vm[2], math.hypot(vm[0], vm[1])))
    if abs(lat) > POLE_LAT:
        # The edge runs over the pole, within a micrometre: the pole becomes a vertex,
        # and the ring's left side decides which way it turns there (``_unwrapped``).
        out.append((0.0, math.copysign(90.0, lat)))
        return
    m = (math.degrees(math.atan2(vm[1], vm[0])), lat)
    _bisect(a, va, m, vm, tolerance, out, depth + 1)
    out.append(m)
    _bisect(m, vm, b, vb, tolerance, out, depth + 1)


def _unwrapped(ring: Ring) -> Ring:
    """Continuous longitudes along the ring. A vertex on a pole, where longitude means
    nothing, becomes two: one on the meridian the ring arrives by, one on the meridian
    it leaves by, joined along the pole's edge of the map on the ring's left side."""
    n = len(ring)
    out: Ring = []
    for k, (lon, lat) in enumerate(ring):
        if abs(lat) != 90.0:
            out.append((out[-1][0] + _wrap(lon - out[-1][0]) if out else lon, lat))
            continue
        arrive = ring[k - 1][0]
        leave = ring[(k + 1) % n][0]
        # Arriving at the north pole, the left is west; at the south pole, east.
        sweep = -((arrive - leave) % 360.0) if lat > 0 else (leave - arrive) % 360.0
        start = out[-1][0] + _wrap(arrive - out[-1][0]) if out else arrive
        out.append((start, lat))
        out.append((start + sweep, lat))
    return out
