"""Constraints and agreed zones: airspace rules that operations must respect.

A *constraint* is imposed airspace (a temporary no-fly zone, a restricted area, an
advisory notice): a set of 4D volumes in force during a validity window. An *agreed
zone* is a deconfliction agreement between parties: sectors of the sky, each assigned
to one party for a time ("west of the river, 06:00-18:00: party A only").

A deconfliction line is the common case of an agreement, so ``line_sectors`` turns a
line and a buffer width into the two sectors on either side of it. It works with unit
vectors on the sphere rather than with longitudes, so a line along or across the
antimeridian needs no special case: the offset of a vertex is a rotation towards the
pole of the great circle the line follows, and only the final conversion back to
degrees wraps longitudes into [-180, 180].
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from deconflict.errors import InvalidInput
from deconflict.geo.earth import EARTH_RADIUS_M, MAX_VERTICES, unit_vector
from deconflict.geo.footprint import Footprint, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D

Vec = tuple[float, float, float]

EVERYWHERE_ALTITUDE = AltitudeBand(-1_000_000.0, 1_000_000.0)
"""The band of a sector given without altitudes: the agreement holds at every height."""

SAG_M = 0.001
"""How far the outer edge of a line sector may fall inside the exact offset (1 mm).

The outer edge of a buffered line is a curve at constant distance from a great circle,
which is not itself a great circle; we follow it with great-circle pieces short enough
that none strays more than this from the true curve (always towards the line, so a
sector is never wider than asked)."""

MAX_TURN_DEG = 120.0
"""A line that turns more sharply at a vertex would make a mitred corner too long to
mean anything (and an inner side that folds over itself): such a line is rejected."""


MAX_SEGMENT_M = 1_000_000.0
"""Longer line segments are refused: between far-apart (let alone antipodal) points the
great circle is not what anyone drawing a line on a map means."""


class ConstraintType(StrEnum):
    NO_FLY = "no_fly"
    """Nobody may plan inside it."""
    RESTRICTED = "restricted"
    """Only the listed parties, or operations of at least the given priority."""
    ADVISORY = "advisory"
    """Anyone may plan inside it; the planner is told."""


@dataclass(frozen=True)
class Constraint:
    """Imposed airspace: ``volumes`` in force during ``validity``.

    A volume counts only for the part of its own time window inside ``validity``, so a
    standing area (volumes valid for years) can be switched on for a day by its window.
    """

    id: str
    type: ConstraintType
    owner: str
    volumes: tuple[Volume4D, ...]
    validity: TimeWindow
    allowed_parties: frozenset[str] = frozenset()
    allowed_min_priority: int | None = None
    """Operations of at least this priority may enter a restricted area (None: none)."""
    name: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("id", "a constraint needs a non-empty id")
        if not self.owner:
            raise InvalidInput("owner", "a constraint needs an owner")
        if not self.volumes:
            raise InvalidInput("volumes", "a constraint needs at least one volume")
        if self.type is not ConstraintType.RESTRICTED and (
            self.allowed_parties or self.allowed_min_priority is not None
        ):
            raise InvalidInput(
                "allowed_parties",
                f"only a restricted constraint lets parties in; this one is {self.type.value}",
            )

    def in_force(self) -> list[tuple[int, Volume4D]]:
        """(index, volume cut to the validity window) for the volumes in force at all."""
        found = []
        for k, v in enumerate(self.volumes):
            window = v.time.overlap(self.validity)
            if window is not None:
                found.append((k, Volume4D(v.footprint, v.altitude, window)))
        return found

    @property
    def altitude_extent(self) -> AltitudeBand:
        return AltitudeBand(
            min(v.altitude.lower_m for v in self.volumes),
            max(v.altitude.upper_m for v in self.volumes),
        )


@dataclass(frozen=True)
class Sector:
    """Part of an agreed zone and the one party allowed in it."""

    footprint: Footprint
    party: str

    def __post_init__(self) -> None:
        if not self.party:
            raise InvalidInput("party", "a sector is assigned to a non-empty party")


@dataclass(frozen=True)
class AgreedZone:
    """Sectors assigned to parties, between ``altitude`` and during ``validity``.

    Operations of any other party inside a sector are in conflict with the agreement;
    the assigned party itself is free there (it still deconflicts with its own and
    everyone's operations as usual).
    """

    id: str
    owner: str
    sectors: tuple[Sector, ...]
    validity: TimeWindow
    altitude: AltitudeBand = EVERYWHERE_ALTITUDE
    name: str = ""
    version: int = 0
    """0 until stored; the store counts versions from 1."""

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("id", "a zone needs a non-empty id")
        if not self.owner:
            raise InvalidInput("owner", "a zone needs an owner")
        if not self.sectors:
            raise InvalidInput("sectors", "a zone needs at least one sector")

    def volume(self, k: int) -> Volume4D:
        return Volume4D(self.sectors[k].footprint, self.altitude, self.validity)

    @property
    def parties(self) -> frozenset[str]:
        return frozenset(s.party for s in self.sectors)

    @classmethod
    def from_line(
        cls,
        zone_id: str,
        owner: str,
        line: Sequence[Sequence[float]],
        width_m: float,
        left_party: str,
        right_party: str,
        validity: TimeWindow,
        altitude: AltitudeBand = EVERYWHERE_ALTITUDE,
        name: str = "",
    ) -> AgreedZone:
        """Sector 0 on the left of the line (walking from its first point), sector 1 on
        the right, each ``width_m`` deep."""
        left, right = line_sectors(line, width_m)
        return cls(
            zone_id,
            owner,
            (Sector(left, left_party), Sector(right, right_party)),
            validity,
            altitude,
            name,
        )


# ------------------------------------------------------------------ line sectors


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _norm(a: Vec) -> Vec:
    n = math.sqrt(_dot(a, a))
    return (a[0] / n, a[1] / n, a[2] / n)


def _comb(s: float, a: Vec, t: float, b: Vec) -> Vec:
    return (s * a[0] + t * b[0], s * a[1] + t * b[1], s * a[2] + t * b[2])


def _lonlat(p: Vec) -> tuple[float, float]:
    lat = math.degrees(math.atan2(p[2], math.hypot(p[0], p[1])))
    lon = math.degrees(math.atan2(p[1], p[0]))
    return (180.0 if lon == -180.0 else lon, lat)


def _angle(a: Vec, b: Vec) -> float:
    """Exact for small angles too (atan2 of sine and cosine, not acos)."""
    return math.atan2(math.sqrt(_dot(_cross(a, b), _cross(a, b))), _dot(a, b))


def line_sectors(line: Sequence[Sequence[float]], width_m: float) -> tuple[Polygon, Polygon]:
    """The strips ``width_m`` wide on the left and on the right of ``line``.

    ``line`` is (lon, lat) vertices joined by great-circle arcs. Both strips share the
    line as an edge, so together they cover the buffer with no gap. Each line vertex is
    moved sideways by ``width_m`` along the bisector of the two arcs meeting there,
    mitred so that the offset edges stay ``width_m`` from both arcs; the offset edges are
    split into pieces short enough to stay within ``SAG_M`` of the exact offset curve.
    """
    if not (math.isfinite(width_m) and width_m > 0.0):
        raise InvalidInput("width_m", f"must be a positive number of metres, got {width_m}")
    if width_m > 100_000.0:
        raise InvalidInput("width_m", "at most 100 km: wider buffers are sectors, not a line")
    points = [unit_vector(lon, lat) for lon, lat in _checked_line(line)]
    d = width_m / EARTH_RADIUS_M
    # Densify: the line keeps its shape (new points lie on its arcs), the offset follows.
    max_piece = math.sqrt(8.0 * (SAG_M / EARTH_RADIUS_M) / math.sin(d))
    dense: list[Vec] = [points[0]]
    for a, b in itertools.pairwise(points):
        theta = _angle(a, b)
        pieces = max(1, math.ceil(theta / max_piece))
        for k in range(1, pieces + 1):
            dense.append(_slerp(a, b, theta, k / pieces))
    if 2 * len(dense) > MAX_VERTICES:
        raise InvalidInput(
            "line", f"the buffered line would need {2 * len(dense)} vertices (max {MAX_VERTICES})"
        )
    left = [_offset(dense, i, d) for i in range(len(dense))]
    right = [_offset(dense, i, -d) for i in range(len(dense))]
    line_ll = [_lonlat(p) for p in dense]
    left_ring = [*line_ll, *(_lonlat(p) for p in reversed(left))]
    right_ring = [*line_ll, *(_lonlat(p) for p in reversed(right))]
    try:
        return Polygon(tuple(left_ring)), Polygon(tuple(right_ring))
    except InvalidInput as exc:
        raise InvalidInput("line", f"the buffered line is not a valid area: {exc.rule}") from None


def _checked_line(line: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for k, p in enumerate(line):
        if len(p) < 2 or any(isinstance(c, bool) or not isinstance(c, int | float) for c in p[:2]):
            raise InvalidInput(f"line[{k}]", "a position must be [lon, lat] numbers")
        lon, lat = float(p[0]), float(p[1])
        if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
            raise InvalidInput(f"line[{k}]", f"longitude {lon} is outside [-180, 180]")
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise InvalidInput(f"line[{k}]", f"latitude {lat} is outside [-90, 90]")
        if pts:
            arc = _angle(unit_vector(*pts[-1]), unit_vector(lon, lat))
            if arc < 1e-12:
                raise InvalidInput(f"line[{k}]", "repeats the previous point")
            if arc * EARTH_RADIUS_M > MAX_SEGMENT_M:
                raise InvalidInput(
                    f"line[{k}]",
                    f"{arc * EARTH_RADIUS_M / 1000:.0f} km from the previous point; segments "
                    f"are great-circle arcs of at most {MAX_SEGMENT_M / 1000:.0f} km: add points",
                )
        pts.append((lon, lat))
    if len(pts) < 2:
        raise InvalidInput("line", "a line needs at least two points")
    return pts


def _slerp(a: Vec, b: Vec, theta: float, f: float) -> Vec:
    if f >= 1.0:
        return b
    s = math.sin(theta)
    return _norm(_comb(math.sin((1.0 - f) * theta) / s, a, math.sin(f * theta) / s, b))


def _offset(points: list[Vec], i: int, d: float) -> Vec:
    """Vertex ``i`` moved ``d`` radians to the left (negative: right) of the line.

    The pole ``a x b`` of an arc walked from a to b lies on its left. At an inner
    vertex the direction is the mean of the two arcs' poles, and the distance grows by
    ``1 / cos(half the turn)`` so that the point is ``d`` from both arcs (a mitre).
    """
    p = points[i]
    poles: list[Vec] = []
    if i > 0:
        poles.append(_norm(_cross(points[i - 1], p)))
    if i < len(points) - 1:
        poles.append(_norm(_cross(p, points[i + 1])))
    m = poles[0] if len(poles) == 1 else _comb(1.0, poles[0], 1.0, poles[1])
    # |n1 + n2| = 2 cos(half the turn): test it before normalising, since a line that
    # doubles back has poles that cancel.
    too_sharp = math.sqrt(_dot(m, m)) < len(poles) * math.cos(math.radians(MAX_TURN_DEG / 2.0))
    if not too_sharp:
        # Make m exactly tangent at p (the poles are, up to rounding).
        m = _norm(_comb(1.0, m, -_dot(m, p), p))
    cos_half = _dot(m, poles[0]) if not too_sharp else 0.0
    if too_sharp or cos_half < math.cos(math.radians(MAX_TURN_DEG / 2.0)):
        lon, lat = _lonlat(p)
        raise InvalidInput(
            "line",
            f"turns by more than {MAX_TURN_DEG:.0f} degrees at ({lon:.6f}, {lat:.6f}); "
            "split it into separate lines",
        )
    # Distance from q = cos(phi) p + sin(phi) m to the arc's great circle is
    # asin(q . pole) = asin(sin(phi) cos_half); make it d.
    phi = math.asin(min(1.0, math.sin(abs(d)) / cos_half))
    sign = 1.0 if d > 0 else -1.0
    return _norm(_comb(math.cos(phi), p, sign * math.sin(phi), m))
