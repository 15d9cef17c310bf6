"""Operations to rows and back. Footprints are stored as compact JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from deconflict.errors import InternalError, InvalidInput
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D


def to_us(t: datetime) -> int:
    """Integer microseconds since the epoch: exact and portable comparisons in SQL."""
    delta = t - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def footprint_to_text(f: Footprint) -> str:
    if isinstance(f, Circle):
        return orjson.dumps({"circle": [f.lon, f.lat, f.radius_m]}).decode()
    return orjson.dumps({"polygon": f.vertices}).decode()


def footprint_from_text(text: str) -> Footprint:
    data = orjson.loads(text)
    if "circle" in data:
        lon, lat, r = data["circle"]
        return Circle(lon, lat, r)
    return Polygon(tuple((float(v[0]), float(v[1])) for v in data["polygon"]))


def volume_row(owner_id: str, idx: int, v: Volume4D, owner: str = "operation_id") -> dict[str, Any]:
    """The row of volume ``idx`` of ``owner_id`` (an operation's, or a constraint's)."""
    return {
        owner: owner_id,
        "idx": idx,
        "time_start_us": to_us(v.time.start),
        "time_end_us": to_us(v.time.end),
        "altitude_lower_m": v.altitude.lower_m,
        "altitude_upper_m": v.altitude.upper_m,
        "footprint": footprint_to_text(v.footprint),
    }


@contextmanager
def reading_stored(what: str) -> Iterator[None]:
    """Read something that was valid when it was written: an input rule failing now is
    ours (a rule tightened since, a damaged row) and must not reach a client as its 400."""
    try:
        yield
    except InvalidInput as exc:
        raise InternalError(f"a stored {what} no longer reads as valid: {exc}") from exc


def volume_from_row(row: Any) -> Volume4D:
    with reading_stored("volume"):
        return Volume4D(
            footprint_from_text(row.footprint),
            AltitudeBand(row.altitude_lower_m, row.altitude_upper_m),
            TimeWindow(from_us(row.time_start_us), from_us(row.time_end_us)),
        )
