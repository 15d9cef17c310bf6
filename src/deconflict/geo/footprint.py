"""Footprints: the 2D part of a 4D volume, a region of the sphere.

A polygon's edges are the shorter great-circle arcs between consecutive vertices, and
its ring encloses the smaller of the two regions it bounds whatever the orientation
(so it may cross the antimeridian or surround a pole). A circle is every point within
``radius_m`` of its centre along the surface.

Exact geometry is delegated to S2 through ``spherely`` (s2geography): it builds and
validates a polygon about three times faster than the SWIG ``s2geometry`` bindings and
offers vectorised predicates, which the batch checker relies on. Coverings, which
``spherely`` lacks, use ``s2geometry`` (see ``covering.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias

import numpy as np
import spherely

from deconflict.errors import InvalidInput
from deconflict.geo.earth import MAX_CIRCLE_RADIUS_M, MAX_VERTICES, destination, unit_vector

MIN_AREA_M2 = 1e-6
"""A ring enclosing less than a square millimetre is a line, not an area."""

CIRCLE_SEGMENTS = 128
"""Vertices of the polygon that stands for a circle in overlap *reports* (never in tests)."""


def _check_coordinate(lon: float, lat: float, field_name: str) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput(field_name, "coordinates must be finite numbers")
    if not -90.0 <= lat <= 90.0:
        raise InvalidInput(field_name, f"latitude {lat} is outside [-90, 90]")
    if not -180.0 <= lon <= 180.0:
        raise InvalidInput(field_name, f"longitude {lon} is outside [-180, 180]")


def _point_key(lon: float, lat: float) -> tuple[float, float]:
    """Two spellings of one point get one key: poles ignore longitude, -180 is 180."""
    if abs(lat) == 90.0:
        return (0.0, lat)
    return (180.0 if lon == -180.0 else lon, lat)


@dataclass(frozen=True, eq=True)
class Polygon:
    """A simple spherical polygon; ``vertices`` are (lon, lat) degrees, ring not closed."""

    vertices: tuple[tuple[float, float], ...]
    _geography: Any = field(default=None, init=False, repr=False, compare=False, hash=False)
    _steradians: float = field(default=0.0, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        geography = _ring_geography(self.vertices)
        steradians = spherely.area(geography, radius=1.0)
        if steradians * spherely.EARTH_RADIUS_METERS**2 < MIN_AREA_M2:
            raise InvalidInput("vertices", NO_AREA)
        object.__setattr__(self, "_geography", geography)
        object.__setattr__(self, "_steradians", steradians)

    @property
    def steradians(self) -> float:
        """The area on the unit sphere, measured once at construction (every request
        asks for the area several times: the limits, the cost estimate, the checks)."""
        return self._steradians

    @cached_property
    def points(self) -> tuple[tuple[float, float, float], ...]:
        """The vertices as unit vectors, made once (the covering and the perimeter)."""
        return tuple(unit_vector(lon, lat) for lon, lat in self.vertices)

    @classmethod
    def from_ring(cls, ring: Sequence[Sequence[float]]) -> Polygon:
        """From a GeoJSON-style ring of [lon, lat] positions, closed or not.

        A position that is not two numbers is named by its own index: the fast read
        below fails at the first bad one without saying which, so the ring is read
        again, position by position, on that path only.
        """
        try:
            points = [(p[0] + 0.0, p[1] + 0.0) for p in ring]
        except (TypeError, IndexError, KeyError):
            _raise_first_unreadable(ring)
            raise
        if any(type(c) is bool for p in ring for c in p[:2]):
            _raise_first_unreadable(ring)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        return cls(tuple(points))

    @property
    def geography(self) -> Any:
        """The ``spherely`` polygon (S2), built and validated once at construction."""
        return self._geography

    def to_geojson(self) -> dict[str, Any]:
        ring = [list(v) for v in self.vertices]
        ring.append(list(self.vertices[0]))
        return {"type": "Polygon", "coordinates": [ring]}


@dataclass(frozen=True, eq=True)
class Circle:
    """Every point within ``radius_m`` (along the surface) of the centre."""

    lon: float
    lat: float
    radius_m: float

    def __post_init__(self) -> None:
        _check_coordinate(self.lon, self.lat, "center")
        if not math.isfinite(self.radius_m) or self.radius_m <= 0.0:
            raise InvalidInput("radius_m", f"radius must be a positive number, got {self.radius_m}")
        if self.radius_m > MAX_CIRCLE_RADIUS_M:
            raise InvalidInput("radius_m", f"radius must be at most {MAX_CIRCLE_RADIUS_M:.0f} m")

    @cached_property
    def center_geography(self) -> Any:
        return spherely.create_point(self.lon, self.lat)

    @cached_property
    def as_polygon(self) -> Polygon:
        """An inscribed ``CIRCLE_SEGMENTS``-gon, for overlap reports and drawing only."""
        step = 2.0 * math.pi / CIRCLE_SEGMENTS
        ring = tuple(
            destination(self.lon, self.lat, i * step, self.radius_m) for i in range(CIRCLE_SEGMENTS)
        )
        return Polygon(ring)

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON Point; the radius travels beside it as ``radius_m``."""
        return {"type": "Point", "coordinates": [self.lon, self.lat]}


Footprint: TypeAlias = Polygon | Circle

NO_AREA = "the ring encloses no area (its vertices are collinear)"


def _ring_geography(vertices: Sequence[tuple[float, float]]) -> Any:
    """Every rule of a ring but its area; the S2 polygon it makes."""
    n = len(vertices)
    if n > MAX_VERTICES:
        raise InvalidInput("vertices", f"{n} vertices; at most {MAX_VERTICES} are allowed")
    # The fast path: one loop, no calls. NaN and infinities fail the range test and
    # take the slow path, which names the offending vertex and rule.
    keys = set()
    for lon, lat in vertices:
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            _explain_vertices(vertices)
        keys.add(_point_key(lon, lat))
    if len(keys) != n:
        _explain_vertices(vertices)
    if n < 3:
        raise InvalidInput("vertices", f"{n} distinct vertices; a polygon needs at least 3")
    try:
        return spherely.create_polygon(vertices)
    except (RuntimeError, ValueError) as exc:
        raise InvalidInput("vertices", _explain_s2_error(str(exc))) from None


def _raise_first_unreadable(ring: Sequence[Any]) -> None:
    """Names the first position of ``ring`` that is not [lon, lat] numbers, if any
    (JSON true/false is not a number, whatever Python's bool-is-int says)."""
    for k, p in enumerate(ring):
        if not isinstance(p, list | tuple) or len(p) < 2:
            raise InvalidInput(f"vertices[{k}]", "a position must be [lon, lat]")
        for c in p[:2]:
            if type(c) is bool:
                raise InvalidInput(f"vertices[{k}]", "coordinates must be numbers, not true/false")
            try:
                c + 0.0
            except TypeError:
                raise InvalidInput(
                    f"vertices[{k}]", f"coordinates must be numbers, got {c!r}"
                ) from None


def _explain_vertices(vertices: Sequence[tuple[float, float]]) -> None:
    seen: dict[tuple[float, float], int] = {}
    for i, (lon, lat) in enumerate(vertices):
        _check_coordinate(lon, lat, f"vertices[{i}]")
        key = _point_key(lon, lat)
        if key in seen:
            raise InvalidInput(
                f"vertices[{i}]", f"repeats vertex {seen[key]}; every vertex must be distinct"
            )
        seen[key] = i


def invalid_rings(rings: Sequence[Sequence[tuple[float, float]]]) -> list[int]:
    """Indices of the rings ``Polygon`` would reject: the same rules, with the area
    test done for all rings in one vectorised call (it dominates one-by-one checks)."""
    bad: list[int] = []
    made: list[Any] = []
    where: list[int] = []
    for k, ring in enumerate(rings):
        try:
            made.append(_ring_geography(ring))
            where.append(k)
        except InvalidInput:
            bad.append(k)
    if made:
        areas = spherely.area(np.array(made, dtype=object))
        bad.extend(where[m] for m in np.flatnonzero(areas < MIN_AREA_M2).tolist())
    return sorted(bad)


def _explain_s2_error(message: str) -> str:
    """Turn S2's validation message into one a person planning a flight can act on."""
    text = message.replace("polygon is not valid: ", "").replace("Loop 0 is not valid: ", "")
    text = text.replace("Loop 0: ", "")
    if "crosses" in text or "has duplicate vertex with" in text:
        return f"edges cross each other ({text}); the ring must not self-intersect"
    if "degenerate" in text or "antipodal" in text:
        return f"degenerate edge ({text})"
    return text
