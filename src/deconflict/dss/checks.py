"""The limits and shape rules of F3548-21 requests, each failing with a 400 that names
the field and the rule.

They live here, not in the API layer, because they are DSS semantics (what may be
stored), whatever the transport; the API layer only rejects what is malformed on the
wire (units other than ``M``, references other than ``W84``, wrong types).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from deconflict.dss.records import Extent
from deconflict.errors import BadRequest, DssError, InvalidInput
from deconflict.geo.covering import cells_of
from deconflict.geo.footprint import Footprint
from deconflict.geo.measure import area_m2
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D

MAX_AREA_KM2 = 2500.0
"""Largest footprint accepted: the reference DSS's bound, which keeps a covering near
2,000 level-13 cells. Applied to circles too (the reference DSS forgets them), because
a huge circle is as costly to index as a huge polygon."""

PLAN_HORIZON = timedelta(days=30)
"""F3548 OiMaxPlanHorizonDays: an intent may not start further ahead than this."""

MAX_SUBSCRIPTION_DURATION = timedelta(hours=24)
"""F3548 DSSMaxSubscriptionDurationHours; longer requests are refused, not truncated."""

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the past a subscription may start, and the slack a subscription's start
gets against its dependent intents' starts (the reference DSS's ``maxClockSkew``)."""

ALL_TIME = TimeWindow(datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))
ALL_ALTITUDES = AltitudeBand(-1e9, 1e9)
"""Bounds standing in for 'unbounded' where a query leaves time or altitude open."""


def check_area(footprint: Footprint, field: str, error: type[DssError] = BadRequest) -> None:
    area = area_m2(footprint) / 1e6
    if area > MAX_AREA_KM2:
        raise error(
            f"{field}: area {area:,.0f} km² is larger than the {MAX_AREA_KM2:,.0f} km² allowed"
        )


def footprint_cells(footprint: Footprint) -> frozenset[int]:
    """The footprint's level-13 covering (the store's own, from the same cache)."""
    return frozenset(cells_of(footprint))


def volumes_cells(volumes: tuple[Volume4D, ...] | list[Volume4D]) -> frozenset[int]:
    cells: set[int] = set()
    for v in volumes:
        cells |= footprint_cells(v.footprint)
    return frozenset(cells)


def check_base_url(url: str, field: str) -> str:
    """An absolute http(s) URL: other USSs will POST notifications to it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"{field}: {url[:200]!r} is not an absolute http(s) URL")
    return url.strip()


def require_footprint(extent: Extent, field: str) -> Footprint:
    if extent.footprint is None:
        raise BadRequest(
            f"{field}.volume: an outline is required (outline_circle or outline_polygon)"
        )
    return extent.footprint


def time_window(extent: Extent, field: str) -> TimeWindow:
    """Both ends required and ordered. Whether the extent is still current is not asked
    here: that is a rule of the whole entity (``check_not_ended``)."""
    if extent.start is None:
        raise BadRequest(f"{field}.time_start: is required")
    if extent.end is None:
        raise BadRequest(f"{field}.time_end: is required")
    if extent.end < extent.start:
        raise BadRequest(f"{field}.time_end: is before time_start")
    return TimeWindow(extent.start, extent.end)


def check_not_ended(span: TimeWindow, what: str, now: datetime) -> None:
    """An entity must not have ended: the *latest* end of its extents is what counts.

    F3548 checks the union of an intent's (or constraint's) extents, as the reference
    DSS does (``UnionVolumes4D`` then "may not end in the past"): an intent that flew
    its first leg an hour ago and flies the next for years is current, and refusing it
    for that first leg would stop a USS from updating an intent in progress.
    """
    if span.end < now:
        raise BadRequest(
            f"extents: the {what} ends at {span.end.isoformat()} (the latest time_end of "
            "its extents), which is in the past"
        )


def check_plan_horizon(span: TimeWindow, now: datetime) -> None:
    """F3548's plan horizon bounds when an intent *starts*: its earliest extent."""
    if span.start > now + PLAN_HORIZON:
        raise BadRequest(
            f"extents: the operational intent starts at {span.start.isoformat()} (the "
            f"earliest time_start of its extents), more than {PLAN_HORIZON.days} days "
            "ahead (the plan horizon)"
        )


def altitude_band(extent: Extent, field: str) -> AltitudeBand:
    if extent.altitude_lower_m is None:
        raise BadRequest(f"{field}.volume.altitude_lower: is required")
    if extent.altitude_upper_m is None:
        raise BadRequest(f"{field}.volume.altitude_upper: is required")
    return _band(extent.altitude_lower_m, extent.altitude_upper_m, field)


def _band(lower: float, upper: float, field: str) -> AltitudeBand:
    try:
        return AltitudeBand(lower, upper)
    except InvalidInput as exc:
        raise BadRequest(f"{field}.volume: {exc.rule}") from None


def intent_volume(extent: Extent, field: str) -> Volume4D:
    """An intent's extent must be fully bounded and no larger than the area limit; the
    time rules against the clock apply to the whole intent (``check_not_ended``,
    ``check_plan_horizon``)."""
    footprint = require_footprint(extent, field)
    check_area(footprint, f"{field}.volume")
    window = time_window(extent, field)
    return Volume4D(footprint, altitude_band(extent, field), window)


def constraint_extent(extent: Extent, field: str) -> Extent:
    """A constraint needs an outline and a time window; altitudes may stay open. Whether
    it is still current is a rule of the whole constraint (``check_not_ended``)."""
    footprint = require_footprint(extent, field)
    check_area(footprint, f"{field}.volume")
    time_window(extent, field)
    if extent.altitude_lower_m is not None and extent.altitude_upper_m is not None:
        _band(extent.altitude_lower_m, extent.altitude_upper_m, field)
    return extent


def query_volume(area: Extent | None, field: str, error: type[DssError] = BadRequest) -> Volume4D:
    """A search volume: an outline is required; open time or altitude means unbounded."""
    if area is None:
        raise BadRequest(f"{field}: is required")
    footprint = require_footprint(area, field)
    check_area(footprint, f"{field}.volume", error)
    start = area.start or ALL_TIME.start
    end = area.end or ALL_TIME.end
    if end < start:
        raise BadRequest(f"{field}.time_end: is before time_start")
    lower = ALL_ALTITUDES.lower_m if area.altitude_lower_m is None else area.altitude_lower_m
    upper = ALL_ALTITUDES.upper_m if area.altitude_upper_m is None else area.altitude_upper_m
    return Volume4D(footprint, _band(lower, upper, field), TimeWindow(start, end))
