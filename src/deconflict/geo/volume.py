"""4D volumes: a footprint, an altitude band and a time window.

All three intervals are closed: two volumes that merely touch in time, in altitude or in
space (within ``TOLERANCE_M``) are in conflict, because "just touching" in the air is
exactly what separation is meant to prevent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Footprint


@dataclass(frozen=True)
class AltitudeBand:
    """Metres above the WGS-84 ellipsoid; ``lower_m <= upper_m``."""

    lower_m: float
    upper_m: float

    def __post_init__(self) -> None:
        for name, value in (("altitude_lower_m", self.lower_m), ("altitude_upper_m", self.upper_m)):
            if not math.isfinite(value):
                raise InvalidInput(name, f"must be a finite number of metres, got {value}")
        if self.lower_m > self.upper_m:
            raise InvalidInput(
                "altitude_lower_m",
                f"lower altitude {self.lower_m} m is above upper altitude {self.upper_m} m",
            )

    def overlap(self, other: AltitudeBand) -> AltitudeBand | None:
        lower = max(self.lower_m, other.lower_m)
        upper = min(self.upper_m, other.upper_m)
        return AltitudeBand(lower, upper) if lower <= upper else None


@dataclass(frozen=True)
class TimeWindow:
    """A closed UTC interval; both ends timezone-aware, ``start <= end``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name, value in (("time_start", self.start), ("time_end", self.end)):
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidInput(name, "time must carry a timezone (RFC 3339, e.g. ...Z)")
        if self.start > self.end:
            raise InvalidInput(
                "time_start",
                f"start {self.start.isoformat()} is after end {self.end.isoformat()}",
            )

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlap(self, other: TimeWindow) -> TimeWindow | None:
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        return TimeWindow(start, end) if start <= end else None

    def contains(self, t: datetime) -> bool:
        return self.start <= t <= self.end


@dataclass(frozen=True)
class Volume4D:
    footprint: Footprint
    altitude: AltitudeBand
    time: TimeWindow
