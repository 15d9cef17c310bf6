"""Who flies near an off-nominal operation, and what they are told about it.

When monitoring makes an operation Nonconforming or Contingent (or it recovers), the
parties whose live operations are near must know, yet learn only where and
when (need-to-know). "Near" is concrete and conservative:

- *where the trouble is*: the operation's volumes that are in force between the change
  and ``horizon_s`` later, **and** its aircraft's last positions over that window (an
  off-nominal aircraft is by definition somewhere its volumes do not say);
- *grown* by ``near_m`` horizontally and ``near_vertical_m`` vertically;
- another party's live (not Ended) operation is near when one of its volumes shares
  time with that window, comes within ``near_vertical_m`` in altitude and within
  ``near_m`` on the ground (exact spherical distance).

Candidates come from the store's cell index (``OperationQuery`` with an area, a
superset that never misses an overlap) around a bounding circle of each grown region;
the exact distance test then runs on the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from deconflict.core.ports import OperationQuery, StoreSession
from deconflict.geo.caps import WHOLE_SPHERE, bounding_caps
from deconflict.geo.earth import EARTH_RADIUS_M, MAX_CIRCLE_RADIUS_M
from deconflict.geo.footprint import Circle, Footprint
from deconflict.geo.overlap import footprint_distance_m
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.tactical.views import Position, StateChange

MIN_RADIUS_M = 1.0
"""A point has no radius; the search circle around an aircraft is at least this."""


@dataclass(frozen=True, slots=True)
class Region:
    """Where the trouble is, before growing: a footprint, an altitude band, a window."""

    footprint: Footprint
    altitude: AltitudeBand
    time: TimeWindow
    aircraft: Position | None = None
    """Set when the region is an aircraft's last position rather than a volume."""


@dataclass(frozen=True, slots=True)
class Nearby:
    """One party to tell, and which of its operations are near (its own ids only)."""

    party: str
    operations: tuple[str, ...]


def trouble_regions(
    volumes: Iterable[Volume4D], aircraft: Iterable[Position], at: datetime, horizon_s: float
) -> list[Region]:
    """The volumes in force in ``[at, at + horizon_s]`` (clipped to it) and the aircraft."""
    window = TimeWindow(at, at + timedelta(seconds=horizon_s))
    out: list[Region] = []
    for v in volumes:
        overlap = v.time.overlap(window)
        if overlap is not None:
            out.append(Region(v.footprint, v.altitude, overlap))
    for p in aircraft:
        point = Circle(p.lon, p.lat, MIN_RADIUS_M)
        out.append(Region(point, AltitudeBand(p.alt_m, p.alt_m), window, p))
    return out


def _search_volume(region: Region, near_m: float, near_vertical_m: float) -> Volume4D:
    """A volume holding ``region`` grown by the near distances: a circle around its
    bounding cap (the cell index then returns a superset of what is near)."""
    centre, angle = bounding_caps([region.footprint])
    x, y, z = centre[0]
    lon = math.degrees(math.atan2(y, x))
    lat = math.degrees(math.asin(max(-1.0, min(1.0, float(z)))))
    cap_m = MAX_CIRCLE_RADIUS_M if angle[0] >= WHOLE_SPHERE else float(angle[0]) * EARTH_RADIUS_M
    radius = min(MAX_CIRCLE_RADIUS_M, max(MIN_RADIUS_M, cap_m + near_m + 1.0))
    band = AltitudeBand(
        region.altitude.lower_m - near_vertical_m, region.altitude.upper_m + near_vertical_m
    )
    return Volume4D(Circle(lon, lat, radius), band, region.time)


def _band_gap_m(a: AltitudeBand, b: AltitudeBand) -> float:
    return max(0.0, a.lower_m - b.upper_m, b.lower_m - a.upper_m)


def is_near(v: Volume4D, region: Region, near_m: float, near_vertical_m: float) -> bool:
    """The exact test: shares time, within ``near_vertical_m`` and ``near_m``."""
    if v.time.overlap(region.time) is None:
        return False
    if _band_gap_m(v.altitude, region.altitude) > near_vertical_m:
        return False
    return footprint_distance_m(v.footprint, region.footprint) <= near_m


def nearby_parties(
    session: StoreSession,
    change: StateChange,
    volumes: Iterable[Volume4D],
    *,
    horizon_s: float,
    near_m: float,
    near_vertical_m: float,
) -> list[Nearby]:
    """Other parties with a live operation near ``change``'s operation, by party."""
    regions = trouble_regions(volumes, change.aircraft, change.at, horizon_s)
    found: dict[str, set[str]] = {}
    for region in regions:
        area = _search_volume(region, near_m, near_vertical_m)
        for stored in session.query(OperationQuery(area=area)):
            op = stored.operation
            if op.party == change.party or op.id == change.operation or not op.state.is_live:
                continue
            if _any_near(op, region, near_m, near_vertical_m):
                found.setdefault(op.party, set()).add(op.id)
    return [Nearby(p, tuple(sorted(ids))) for p, ids in sorted(found.items())]


def _any_near(op: Operation, region: Region, near_m: float, near_vertical_m: float) -> bool:
    return any(is_near(v, region, near_m, near_vertical_m) for v in op.volumes)


STATE_NOTICE = {
    OperationState.NONCONFORMING: "nonconforming",
    OperationState.CONTINGENT: "contingent",
    OperationState.ACTIVATED: "recovered",
}
"""What a near party is told happened, by the operation's new state."""
