"""An in-memory ``AirspaceBook`` and ``Transactions``: the airspace service without SQL.

A transaction works on a copy of the state and keeps it only if the work returns, so a
refused change leaves nothing behind, as a rolled-back SQL transaction would.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from deconflict.airspace.notices import PartyEvent
from deconflict.airspace.ports import AirspaceBook
from deconflict.airspace.versions import StoredConstraint, ZoneVersion
from deconflict.geo.volume import TimeWindow, Volume4D
from deconflict.model.constraint import AgreedZone, Constraint
from deconflict.model.operation import Operation

T = TypeVar("T")


@dataclass
class MemoryBook:
    constraints: dict[str, StoredConstraint] = field(default_factory=dict)
    zones: dict[str, AgreedZone] = field(default_factory=dict)
    histories: dict[str, list[ZoneVersion]] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)
    """Constraint id -> the USS managing it through the DSS."""
    operations: list[Operation] = field(default_factory=list)
    """Every live operation: all are candidates near anything (the exact test decides)."""
    told: list[PartyEvent] = field(default_factory=list)
    told_usss: list[tuple[str, Constraint | None, Constraint | None]] = field(default_factory=list)
    """(id, old, new) of each native constraint change told to USSs."""

    def get_constraint(self, constraint_id: str) -> StoredConstraint | None:
        return self.constraints.get(constraint_id)

    def write_constraint(
        self, stored: StoredConstraint, *, replace: bool, native: bool = True
    ) -> None:
        assert replace == (stored.constraint.id in self.constraints)
        self.constraints[stored.constraint.id] = stored

    def remove_constraint(self, constraint_id: str) -> None:
        del self.constraints[constraint_id]

    def list_constraints(
        self, owner: str | None = None, window: TimeWindow | None = None, limit: int = 1000
    ) -> list[StoredConstraint]:
        found = [
            s
            for _, s in sorted(self.constraints.items())
            if (owner is None or s.constraint.owner == owner)
            and (window is None or s.constraint.validity.overlap(window) is not None)
        ]
        return found[:limit]

    def dss_manager(self, constraint_id: str) -> str | None:
        return self.managers.get(constraint_id)

    def get_zone(self, zone_id: str) -> AgreedZone | None:
        return self.zones.get(zone_id)

    def write_zone(self, zone: AgreedZone, at: datetime, *, replace: bool) -> None:
        assert replace == (zone.id in self.zones)
        self.zones[zone.id] = zone

    def remove_zone(self, zone_id: str) -> None:
        del self.zones[zone_id]

    def last_zone_version(self, zone_id: str) -> int:
        history = self.histories.get(zone_id, [])
        return history[-1].version if history else 0

    def add_zone_version(self, entry: ZoneVersion) -> None:
        self.histories.setdefault(entry.zone_id, []).append(entry)

    def zone_history(self, zone_id: str) -> list[ZoneVersion]:
        return list(self.histories.get(zone_id, []))

    def list_zones(
        self, party: str | None = None, window: TimeWindow | None = None, limit: int = 1000
    ) -> list[AgreedZone]:
        found = [
            z
            for _, z in sorted(self.zones.items())
            if (party is None or party in z.parties)
            and (window is None or z.validity.overlap(window) is not None)
        ]
        return found[:limit]

    def operations_near(self, volumes: Iterable[Volume4D]) -> list[Operation]:
        return list(self.operations) if list(volumes) else []

    def tell(self, events: Sequence[PartyEvent]) -> None:
        self.told.extend(events)

    def tell_usss(self, constraint_id: str, old: Constraint | None, new: Constraint | None) -> None:
        self.told_usss.append((constraint_id, old, new))


@dataclass
class MemoryTransactions:
    book: MemoryBook = field(default_factory=MemoryBook)
    runs: int = 0

    def run(self, work: Callable[[AirspaceBook, object], T], write: bool) -> T:
        self.runs += 1
        draft = copy.deepcopy(self.book)
        result = work(draft, None)
        if write:
            self.book = draft
        return result
