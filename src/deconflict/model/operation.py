"""Operations: what a party declares it will fly, as a list of 4D volumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from deconflict.errors import InvalidInput
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D


class OperationState(StrEnum):
    """F3548-21 operational intent states."""

    ACCEPTED = "Accepted"
    ACTIVATED = "Activated"
    NONCONFORMING = "Nonconforming"
    CONTINGENT = "Contingent"
    ENDED = "Ended"

    @property
    def is_nominal(self) -> bool:
        """Accepted and Activated operations are the ones strategic deconfliction protects."""
        return self in (OperationState.ACCEPTED, OperationState.ACTIVATED)

    @property
    def is_live(self) -> bool:
        """Every state but Ended still occupies airspace."""
        return self is not OperationState.ENDED


@dataclass(frozen=True)
class Operation:
    id: str
    party: str
    priority: int
    state: OperationState
    volumes: tuple[Volume4D, ...]
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("id", "an operation needs a non-empty id")
        if not self.party:
            raise InvalidInput("party", "an operation needs a non-empty party")
        if not self.volumes:
            raise InvalidInput("volumes", "an operation needs at least one volume")

    @property
    def time_extent(self) -> TimeWindow:
        return TimeWindow(
            min(v.time.start for v in self.volumes), max(v.time.end for v in self.volumes)
        )

    @property
    def altitude_extent(self) -> AltitudeBand:
        return AltitudeBand(
            min(v.altitude.lower_m for v in self.volumes),
            max(v.altitude.upper_m for v in self.volumes),
        )

    def active_at(self, t: datetime) -> bool:
        return any(v.time.contains(t) for v in self.volumes)
