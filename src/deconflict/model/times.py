"""Times on the wire: RFC 3339, UTC, with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(t: datetime) -> str:
    """The one writer of times for every wire and file (API, events, exports, scenarios,
    replays), so that a time is spelled the same wherever a client reads it."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
