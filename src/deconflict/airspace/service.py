"""Airspace use cases: define, change and remove constraints and zones, and read them.

Each change is one transaction in which the rules are checked against the stored state,
the new version is written (a zone's history too) and the parties concerned are told
(``notices``), so that no party misses a change to a line it agreed to and none hears
of a change that rolled back. Checks that need no stored state (the size limits of a
zone) run before the transaction, as in ``dss.service``.

``AirspaceChanges`` is the part inside a transaction, for callers that already hold
one (the DSS writes its constraint references through it, next to its own rows);
``AirspaceService`` opens the transactions, for the API and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from deconflict.airspace import changes
from deconflict.airspace.changes import Editor
from deconflict.airspace.notices import constraint_events, zone_events
from deconflict.airspace.ports import AirspaceBook, Disclosure, Transactions
from deconflict.airspace.versions import StoredConstraint, ZoneVersion
from deconflict.core.limits import check_airspace, check_query_area
from deconflict.errors import Forbidden, ManagedByDss, NotFound
from deconflict.geo.overlap import footprints_conflict
from deconflict.geo.volume import TimeWindow, Volume4D
from deconflict.model.constraint import AgreedZone, Constraint
from deconflict.settings import LimitsSettings

D = TypeVar("D", bound=Disclosure)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class AirspaceChanges:
    """Changes inside one transaction: versioned, recorded, and told to the parties."""

    def __init__(self, book: AirspaceBook, clock: Clock = utc_now) -> None:
        self.book = book
        self.clock = clock

    def check_native(self, constraint_id: str) -> None:
        """``ManagedByDss`` unless native writes may change the constraint."""
        refusal = changes.native_refusal(constraint_id, self.book.dss_manager(constraint_id))
        if refusal is not None:
            raise ManagedByDss(refusal)

    def put_constraint(
        self,
        c: Constraint,
        changed_by: str | None = None,
        *,
        dss: bool = False,
        skip: Iterable[str] = (),
    ) -> StoredConstraint:
        """Insert, or replace the constraint with the same id (a new version), and tell
        the parties concerned. ``dss``: the write is the DSS's own (else F3548-managed
        constraints are refused); ``skip``: parties told by other means."""
        if not dss:
            self.check_native(c.id)
        now = self.clock()
        before = self.book.get_constraint(c.id)
        version = changes.constraint_version(before)
        stored = StoredConstraint(c, version, before.created if before else now, now)
        self.book.write_constraint(stored, replace=before is not None, native=not dss)
        previous = before.constraint if before is not None else None
        nearby = self.book.operations_near(changes.constraint_volumes(previous, c))
        self.book.tell(constraint_events(previous, c, version, nearby, changed_by, skip))
        if not dss:
            self.book.tell_usss(c.id, previous, c)
        return stored

    def delete_constraint(
        self,
        constraint_id: str,
        changed_by: str | None = None,
        *,
        dss: bool = False,
        skip: Iterable[str] = (),
    ) -> bool:
        """False when there is no such constraint."""
        if not dss:
            self.check_native(constraint_id)
        before = self.book.get_constraint(constraint_id)
        if before is None:
            return False
        if not dss:
            self.book.tell_usss(constraint_id, before.constraint, None)
        self.book.remove_constraint(constraint_id)
        old = before.constraint
        nearby = self.book.operations_near(changes.constraint_volumes(old))
        version = changes.constraint_version(before)
        self.book.tell(constraint_events(old, None, version, nearby, changed_by, skip))
        return True

    def put_zone(self, zone: AgreedZone, changed_by: str) -> AgreedZone:
        """Write a new version of ``zone`` (its ``version`` field is ignored) and tell the
        parties concerned (those of the old and the new sectors among them)."""
        now = self.clock()
        old = self.book.get_zone(zone.id)
        version = changes.zone_version(self.book.last_zone_version(zone.id))
        stored = AgreedZone(
            zone.id, zone.owner, zone.sectors, zone.validity, zone.altitude, zone.name, version
        )
        self.book.write_zone(stored, now, replace=old is not None)
        self.book.add_zone_version(ZoneVersion(zone.id, version, False, changed_by, now, stored))
        nearby = self.book.operations_near(changes.zone_volumes(old, stored))
        self.book.tell(zone_events(old, stored, version, nearby, changed_by))
        return stored

    def delete_zone(self, zone_id: str, changed_by: str) -> bool:
        """False when there is no such zone; the deletion is a version of its history."""
        old = self.book.get_zone(zone_id)
        if old is None:
            return False
        now = self.clock()
        self.book.remove_zone(zone_id)
        version = changes.zone_version(self.book.last_zone_version(zone_id))
        self.book.add_zone_version(ZoneVersion(zone_id, version, True, changed_by, now, None))
        nearby = self.book.operations_near(changes.zone_volumes(old))
        self.book.tell(zone_events(old, None, version, nearby, changed_by))
        return True


class AirspaceService:
    """The use cases of the constraints and zones API and of ``deconflict zones``."""

    def __init__(
        self, transactions: Transactions, limits: LimitsSettings, clock: Clock = utc_now
    ) -> None:
        self.transactions = transactions
        self.limits = limits
        self.clock = clock

    # ------------------------------------------------------------- constraints

    def put_constraint(
        self,
        constraint_id: str,
        editor: Editor,
        expected: int | None,
        draft: Callable[[str], Constraint],
    ) -> StoredConstraint:
        """Create or replace a constraint. ``draft(owner)`` builds it once the owner is
        known (a constraint keeps its owner when the operator rewrites it)."""

        def work(book: AirspaceBook, _session: object) -> StoredConstraint:
            here = AirspaceChanges(book, self.clock)
            current = book.get_constraint(constraint_id)
            self._check_writable(here, constraint_id, current, editor)
            have = current.version if current else 0
            changes.check_expected("constraint", constraint_id, have, expected)
            planned = draft(changes.owner_of(current, editor))
            check_airspace(
                ((f"volumes[{i}].geometry", v.footprint) for i, v in enumerate(planned.volumes)),
                self.limits,
            )
            return here.put_constraint(planned, editor.party)

        return self.transactions.run(work, write=True)

    def delete_constraint(self, constraint_id: str, editor: Editor) -> None:
        def work(book: AirspaceBook, _session: object) -> None:
            here = AirspaceChanges(book, self.clock)
            current = book.get_constraint(constraint_id)
            if current is None:
                raise NotFound(f"no constraint {constraint_id!r}")
            self._check_writable(here, constraint_id, current, editor)
            here.delete_constraint(constraint_id, editor.party)

        self.transactions.run(work, write=True)

    @staticmethod
    def _check_writable(
        here: AirspaceChanges, cid: str, current: StoredConstraint | None, editor: Editor
    ) -> None:
        """Owners write their own, the operator anyone's; F3548 ones only through the
        DSS, which for a caller of this API is a refusal like any other."""
        changes.check_owner(cid, current, editor)
        try:
            here.check_native(cid)
        except ManagedByDss as exc:
            raise Forbidden(str(exc)) from None

    def constraints(
        self,
        policy: Callable[[object], D],
        owner: str | None = None,
        window: TimeWindow | None = None,
        area: Volume4D | None = None,
        limit: int = 1000,
    ) -> tuple[list[StoredConstraint], D]:
        """The constraints (of ``owner``, in force in ``window``, meeting ``area``), and
        the disclosure policy as of the same transaction."""
        if area is not None:
            check_query_area(area.footprint, "bbox", self.limits)
        found, seen = self.transactions.run(
            lambda book, s: (book.list_constraints(owner, window, limit), policy(s)),
            write=False,
        )
        if area is not None:
            found = [
                c
                for c in found
                if any(
                    footprints_conflict(area.footprint, v.footprint) for v in c.constraint.volumes
                )
            ]
        return found, seen

    def constraint(
        self, constraint_id: str, policy: Callable[[object], D]
    ) -> tuple[StoredConstraint, D]:
        found, seen = self.transactions.run(
            lambda book, s: (book.get_constraint(constraint_id), policy(s)), write=False
        )
        if found is None:
            raise NotFound(f"no constraint {constraint_id!r}")
        return found, seen

    # -------------------------------------------------------------------- zones

    def put_zone(
        self, zone: AgreedZone, changed_by: str, expected: int | None
    ) -> tuple[AgreedZone, bool]:
        """Define or change a zone: a new version. True when it did not exist."""
        check_airspace(
            ((f"sectors[{i}]", sector.footprint) for i, sector in enumerate(zone.sectors)),
            self.limits,
        )

        def work(book: AirspaceBook, _session: object) -> tuple[AgreedZone, bool]:
            current = book.get_zone(zone.id)
            changes.check_expected("zone", zone.id, current.version if current else 0, expected)
            stored = AirspaceChanges(book, self.clock).put_zone(zone, changed_by)
            return stored, current is None

        return self.transactions.run(work, write=True)

    def delete_zone(self, zone_id: str, changed_by: str) -> None:
        deleted = self.transactions.run(
            lambda book, _s: AirspaceChanges(book, self.clock).delete_zone(zone_id, changed_by),
            write=True,
        )
        if not deleted:
            raise NotFound(f"no zone {zone_id!r}")

    def zones(
        self,
        viewer: str,
        policy: Callable[[object], D],
        party: str | None = None,
        window: TimeWindow | None = None,
        limit: int = 1000,
    ) -> tuple[list[AgreedZone], D]:
        """The zones (assigning ``party`` a sector, in force in ``window``) and the
        disclosure policy as of the same transaction."""
        found, seen = self.transactions.run(
            lambda book, s: (book.list_zones(party, window, limit), policy(s)), write=False
        )
        if party is not None and party != viewer:
            # A reference hides whom the sectors go to: filtering by another party may
            # only return zones whose sectors the viewer already sees.
            found = [z for z in found if seen.zone_in_full(viewer, z.parties)]
        return found, seen

    def zone(self, zone_id: str, policy: Callable[[object], D]) -> tuple[AgreedZone, D]:
        found, seen = self.transactions.run(
            lambda book, s: (book.get_zone(zone_id), policy(s)), write=False
        )
        if found is None:
            raise NotFound(f"no zone {zone_id!r}")
        return found, seen

    def zone_history(self, zone_id: str, reader: Editor) -> list[ZoneVersion]:
        """Every version, for the operator and the parties any version assigned sectors to."""
        history = self.transactions.run(lambda book, _s: book.zone_history(zone_id), write=False)
        if not history:
            raise NotFound(f"no zone {zone_id!r}")
        changes.check_history_reader(zone_id, history, reader)
        return history

    # ------------------------------------------------------------ whole files

    def import_all(
        self, constraints: Sequence[Constraint], zones: Sequence[AgreedZone], changed_by: str
    ) -> None:
        """Every constraint and zone given, in one transaction: all or nothing."""

        def work(book: AirspaceBook, _session: object) -> None:
            here = AirspaceChanges(book, self.clock)
            for c in constraints:
                here.put_constraint(c, changed_by)
            for z in zones:
                here.put_zone(z, changed_by)

        self.transactions.run(work, write=True)

    def everything(self, limit: int = 1_000_000) -> tuple[list[Constraint], list[AgreedZone]]:
        """Every constraint and zone, for an export."""
        return self.transactions.run(
            lambda book, _s: (
                [x.constraint for x in book.list_constraints(limit=limit)],
                book.list_zones(limit=limit),
            ),
            write=False,
        )
