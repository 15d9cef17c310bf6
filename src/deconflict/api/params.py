"""Query and header parameters the ``/v1`` routers read alike: ``If-Match`` versions,
time windows (``start``, ``end``) and bounding boxes (``bbox``).

Each is a user's mistake when malformed: ``InvalidInput`` naming the parameter.
"""

from __future__ import annotations

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


def query_area(bbox: str | None, window: TimeWindow | None) -> Volume4D | None:
    """``west,south,east,north`` in degrees as a volume at every altitude, over
    ``window`` (all time without one): what a listing's results must meet."""
    if bbox is None:
        return None
    try:
        west, south, east, north = (float(x) for x in bbox.split(","))
    except ValueError:
        raise InvalidInput("bbox", "must be four numbers: west,south,east,north") from None
    try:
        shape = Polygon(((west, south), (east, south), (east, north), (west, north)))
    except InvalidInput as exc:
        raise InvalidInput("bbox", exc.rule) from None
    when = window or TimeWindow(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    return Volume4D(shape, AltitudeBand(-1e6, 1e6), when)
