"""Query and header parameters the ``/v1`` routers read alike: ``If-Match`` versions,
time windows (``start``, ``end``) and bounding boxes (``bbox``).

Each is a user's mistake when malformed: ``InvalidInput`` naming the parameter.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D


def if_match_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header expects (0: must not exist), quoted or not."""
    if if_match is None:
        return None
    text = if_match.strip().strip('"')
    if not text.isdigit():
        raise InvalidInput("If-Match", "must be the operation's version number")
    return int(text)


def query_window(start: datetime | None, end: datetime | None) -> TimeWindow | None:
    """Both ``start`` and ``end``, or neither (no time filter)."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidInput("start", "give both start and end, or neither")
    try:
        return TimeWindow(start, end)
    except InvalidInput as exc:
        raise InvalidInput(exc.field.replace("time_", ""), exc.rule) from None


BBOX_FORM = "west,south,east,north"

MAX_EDGE_DEG = 90.0
"""The widest step in longitude between two of a box's vertices: great-circle edges
shorter than half the Earth follow the box's side, never the other way round."""


def bbox_corners(bbox: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` as four finite degrees, in their ranges, with south
    below north and west apart from east; otherwise ``InvalidInput`` naming ``bbox`` and
    the part at fault. West greater than east is a box across the antimeridian (as
    RFC 7946 has it), not a reversed one."""
    parts = bbox.split(",")
    try:
        west, south, east, north = (float(x) for x in parts)
    except ValueError:
        raise InvalidInput("bbox", f"must be four numbers: {BBOX_FORM}") from None
    for name, value, limit in (
        ("west", west, 180.0),
        ("south", south, 90.0),
        ("east", east, 180.0),
        ("north", north, 90.0),
    ):
        if not math.isfinite(value) or abs(value) > limit:
            raise InvalidInput("bbox", f"{name} {value} is outside [-{limit:g}, {limit:g}]")
    if south >= north:
        raise InvalidInput("bbox", f"south {south} must be below north {north} ({BBOX_FORM})")
    if west == east or {west, east} == {-180.0, 180.0}:
        raise InvalidInput(
            "bbox",
            f"west {west} and east {east} are one meridian: the box has no width "
            f"({BBOX_FORM}; west greater than east crosses the antimeridian)",
        )
    return west, south, east, north


def bbox_polygon(west: float, south: float, east: float, north: float) -> Polygon:
    """The box as a polygon: eastwards from ``west`` to ``east`` along the south side
    (across the antimeridian when west is greater), back along the north side, with a
    vertex at least every ``MAX_EDGE_DEG`` so that no side takes the short way round
    the other side of the Earth."""
    width = east - west if east > west else east + 360.0 - west
    steps = max(1, math.ceil(width / MAX_EDGE_DEG))
    lons = [_wrap(west + width * k / steps) for k in range(steps + 1)]
    ring = [(lon, south) for lon in lons] + [(lon, north) for lon in reversed(lons)]
    return Polygon(tuple(ring))


def _wrap(lon: float) -> float:
    return lon - 360.0 if lon > 180.0 else lon


def query_area(bbox: str | None, window: TimeWindow | None) -> Volume4D | None:
    """``west,south,east,north`` in degrees as a volume at every altitude, over
    ``window`` (all time without one): what a listing's results must meet."""
    if bbox is None:
        return None
    corners = bbox_corners(bbox)
    try:
        shape = bbox_polygon(*corners)
    except InvalidInput as exc:
        raise InvalidInput("bbox", exc.rule) from None
    when = window or TimeWindow(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    return Volume4D(shape, AltitudeBand(-1e6, 1e6), when)
