"""The separation to keep: protected-zone sizes and lookahead, with per-party overrides.

Defaults are the usual en-route values (5 NM, 1,000 ft, 300 s) so that an unconfigured
service behaves like the state-based detectors controllers already know. Parties flying
small drones override the zone (e.g. 50 m / 15 m); a pair of aircraft from parties with
different zones is judged with the larger radius and the larger half-height, because
the aircraft with the larger zone is the one whose separation minimum must hold.

The vertical rule is the zone the user states, never less: loss of separation needs
``|dz| < H + tolerance``. The tolerance exists because altitudes arrive quantised (Mode S
reports in 25 ft steps, each off by up to half a step): set it to the largest error of a
reported altitude *difference* (25 ft, 7.62 m, for two reports rounded to 25 ft). It
treats each reported altitude as an interval and asks whether the intervals could be
closer than ``H``, so it can only widen the vertical zone. It defaults to 0, the zone
exactly as stated. (It used to be
subtracted from ``H``, 5 % by default, so that adjacent flight levels reported 975 ft
apart did not alert; that made the detector miss pairs inside the stated zone.
A user who wants adjacent levels quiet states a smaller ``H``.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from deconflict.errors import InvalidInput

NM_M = 1852.0
FT_M = 0.3048

DEFAULT_RADIUS_M = 5 * NM_M
DEFAULT_HALF_HEIGHT_M = 1000 * FT_M
DEFAULT_LOOKAHEAD_S = 300.0


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput(name, "must be a finite number greater than 0")


@dataclass(frozen=True, slots=True)
class ProtectedZone:
    """The cylinder around an aircraft that another aircraft must not enter."""

    radius_m: float = DEFAULT_RADIUS_M
    half_height_m: float = DEFAULT_HALF_HEIGHT_M
    vertical_tolerance_m: float = 0.0

    def __post_init__(self) -> None:
        _positive("radius_m", self.radius_m)
        _positive("half_height_m", self.half_height_m)
        tol = self.vertical_tolerance_m
        if not (math.isfinite(tol) and tol >= 0):
            raise InvalidInput("vertical_tolerance_m", "must be a finite number, at least 0")

    @property
    def effective_half_height_m(self) -> float:
        """The half-height ``|dz|`` is compared against (strictly less): ``H + tolerance``,
        so the tolerance widens the stated zone and never narrows it."""
        return self.half_height_m + self.vertical_tolerance_m


@dataclass(frozen=True)
class TacticalParams:
    """Everything one detection pass needs to know besides the states themselves."""

    zone: ProtectedZone = field(default_factory=ProtectedZone)
    lookahead_s: float = DEFAULT_LOOKAHEAD_S
    party_zones: Mapping[str, ProtectedZone] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _positive("lookahead_s", self.lookahead_s)

    def zone_for(self, party: str | None) -> ProtectedZone:
        """The zone of an aircraft of ``party``; unknown or missing parties get the default."""
        if party is None:
            return self.zone
        return self.party_zones.get(party, self.zone)
