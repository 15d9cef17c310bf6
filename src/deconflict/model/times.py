"""Times on the wire: RFC 3339, UTC, with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deconflict.errors import InvalidInput


def rfc3339(t: datetime) -> str:
    """The one writer of times for every wire and file (API, events, exports, scenarios,
    replays), so that a time is spelled the same wherever a client reads it."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(
    value: Any, field: str, *, standard: str = "RFC 3339", zone: str = "use UTC with Z"
) -> datetime:
    """The one reader of times in what we parse by hand (plans, airspace files, exports):
    a string with an offset; a time without one is refused, as its zone would be a
    guess. ``standard`` and ``zone`` name the file's own rules in the messages."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be an {standard} string, got {value!r}")
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not an {standard} time") from None
    if t.tzinfo is None:
        raise InvalidInput(field, f"{value!r} has no timezone; {zone}")
    return t
