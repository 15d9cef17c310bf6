"""What the airspace feature needs from the store, as protocols.

``AirspaceBook`` is the constraints' and zones' tables seen through one open
transaction: rows in, rows out, no rules (the SQL store implements it). It also reaches
the two things a change needs beside its own rows, in that same transaction: the live
operations near a volume (whose parties must hear of the change) and the parties' event
log (``tell``), so that no party misses a change and none hears of one that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from deconflict.airspace.notices import PartyEvent
from deconflict.airspace.versions import StoredConstraint, ZoneVersion
from deconflict.geo.volume import TimeWindow, Volume4D
from deconflict.model.constraint import AgreedZone, Constraint
from deconflict.model.operation import Operation

T = TypeVar("T")


class AirspaceBook(Protocol):
    """Constraints, zones and zone histories in one transaction."""

    def get_constraint(self, constraint_id: str) -> StoredConstraint | None: ...

    def write_constraint(
        self, stored: StoredConstraint, *, replace: bool, native: bool = True
    ) -> None:
        """Insert, or (``replace``) overwrite the row with the same id, volumes included;
        a new ``native`` one (not an F3548 constraint reference) also gets the F3548 id
        USSs will know it by."""
        ...

    def remove_constraint(self, constraint_id: str) -> None: ...

    def list_constraints(
        self, owner: str | None = None, window: TimeWindow | None = None, limit: int = 1000
    ) -> list[StoredConstraint]: ...

    def dss_manager(self, constraint_id: str) -> str | None:
        """The managing USS when the constraint is an F3548 constraint reference."""
        ...

    def get_zone(self, zone_id: str) -> AgreedZone | None: ...

    def write_zone(self, zone: AgreedZone, at: datetime, *, replace: bool) -> None:
        """Insert, or (``replace``) overwrite the zone with the same id, sectors included;
        ``zone.version`` is stored as given."""
        ...

    def remove_zone(self, zone_id: str) -> None: ...

    def last_zone_version(self, zone_id: str) -> int:
        """The highest version in the zone's history; 0 when it has none."""
        ...

    def add_zone_version(self, entry: ZoneVersion) -> None: ...

    def zone_history(self, zone_id: str) -> list[ZoneVersion]:
        """Oldest first."""
        ...

    def list_zones(
        self, party: str | None = None, window: TimeWindow | None = None, limit: int = 1000
    ) -> list[AgreedZone]: ...

    def operations_near(self, volumes: Iterable[Volume4D]) -> list[Operation]:
        """Live operations that may be inside ``volumes`` (candidates: the exact test
        decides)."""
        ...

    def tell(self, events: Sequence[PartyEvent]) -> None:
        """Append ``events`` to the parties' event logs (nothing when empty)."""
        ...

    def tell_usss(self, constraint_id: str, old: Constraint | None, new: Constraint | None) -> None:
        """As the USS of a native constraint, tell the USSs subscribed over it of a change
        (``new`` None: deleted; called before the rows go, its F3548 id with them)."""
        ...


class Transactions(Protocol):
    """Runs work in one serializable write (or read) transaction, retried on conflicts.

    ``work`` receives the book and the raw session (for the disclosure policy as of
    that transaction).
    """

    def run(self, work: Callable[[AirspaceBook, object], T], write: bool) -> T: ...


class Disclosure(Protocol):
    """The part of the disclosure policy airspace reads need."""

    def constraint_in_full(self, viewer: str, owner: str) -> bool: ...

    def zone_in_full(self, viewer: str, parties: frozenset[str]) -> bool: ...
