"""Protected-zone sizes and lookahead, with per-party overrides.

Defaults are the usual en-route values (5 NM, 1,000 ft, 300 s) so that an unconfigured
service behaves like the state-based detectors controllers already know. Parties flying
small drones override the zone (e.g. 50 m / 15 m); a pair of aircraft from parties with
different zones is judged with the larger radius and the larger half-height, because
the aircraft with the larger zone is the one whose separation minimum must hold.

The vertical tolerance exists because altitudes arrive quantised (Mode S reports in
25 ft steps). Two aircraft on adjacent flight levels 1,000 ft apart can be *reported*
975 ft apart, and a strict ``|dz| < 1000 ft`` test would turn every adjacent-level pair
into a conflict. The vertical test therefore uses ``H - tolerance``; the default
tolerance is 5 % of the half-height, which is 50 ft for the 1,000 ft default: two
quantisation steps, enough for two reports rounded in opposite directions plus one step
of margin for truncating transponders, and it scales down sensibly for drone zones.
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
DEFAULT_TOLERANCE_FRACTION = 0.05


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput(name, "must be a finite number greater than 0")


@dataclass(frozen=True, slots=True)
class ProtectedZone:
    """The cylinder around an aircraft that another aircraft must not enter."""

    radius_m: float = DEFAULT_RADIUS_M
    half_height_m: float = DEFAULT_HALF_HEIGHT_M
    vertical_tolerance_m: float | None = None

    def __post_init__(self) -> None:
        _positive("radius_m", self.radius_m)
        _positive("half_height_m", self.half_height_m)
        tol = self.vertical_tolerance_m
        if tol is not None and not (math.isfinite(tol) and 0 <= tol < self.half_height_m):
            raise InvalidInput(
                "vertical_tolerance_m", "must be at least 0 and smaller than half_height_m"
            )

    @property
    def tolerance_m(self) -> float:
        """The tolerance actually applied (the default is a fraction of the half-height)."""
        if self.vertical_tolerance_m is None:
            return DEFAULT_TOLERANCE_FRACTION * self.half_height_m
        return self.vertical_tolerance_m

    @property
    def effective_half_height_m(self) -> float:
        """The half-height the vertical test compares ``|dz|`` against (strictly less)."""
        return self.half_height_m - self.tolerance_m


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
