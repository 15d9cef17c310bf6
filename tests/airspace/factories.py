"""Builders for constraint tests, and hand-computed distances on the test sphere."""

from __future__ import annotations

import math
from datetime import timedelta

from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.geo.footprint import Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.constraint import Constraint, ConstraintType
from tests.core.factories import T0


def deg(metres: float, lat: float = 0.0) -> float:
    """Degrees of longitude that span ``metres`` along the parallel ``lat``."""
    return math.degrees(metres / (EARTH_RADIUS_M * math.cos(math.radians(lat))))


def box(west: float, south: float, east: float, north: float) -> Polygon:
    return Polygon(((west, south), (east, south), (east, north), (west, north)))


def window(t0: float = 0.0, t1: float = 3600.0) -> TimeWindow:
    return TimeWindow(T0 + timedelta(seconds=t0), T0 + timedelta(seconds=t1))


NO_FLY_BOX = box(0.0, 0.0, 0.01, 0.01)
"""West edge on the meridian 0 between the equator and 0.01 N: 1,112 m of great circle."""


def constraint(
    cid: str = "nfz",
    kind: ConstraintType = ConstraintType.NO_FLY,
    footprint: Polygon = NO_FLY_BOX,
    lo: float = 0.0,
    hi: float = 500.0,
    parties: frozenset[str] = frozenset(),
    min_priority: int | None = None,
    owner: str = "operator",
) -> Constraint:
    v = Volume4D(footprint, AltitudeBand(lo, hi), window())
    return Constraint(cid, kind, owner, (v,), window(), parties, min_priority, name=cid)
