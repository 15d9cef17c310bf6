"""The strategic engine: "what does this operation conflict with?" against the store.

A submission is checked and written in one write session (one serializable
transaction), so no other writer can slip a conflicting operation in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from deconflict.core.constraints import AirspaceLookup, ConstraintConflict, airspace_conflicts
from deconflict.core.constraints import blocking as airspace_blocking
from deconflict.core.ports import Store, StoredOperation, StoreSession
from deconflict.core.report import OperationConflict, volume_overlaps
from deconflict.core.rules import Verdict, judge
from deconflict.errors import NotFound, NotOwner, StaleVersion
from deconflict.model.operation import Operation, OperationState
from deconflict.model.transitions import check_transition
from deconflict.settings import EqualPriorityPolicy


@dataclass(frozen=True)
class Decision:
    accepted: bool
    conflicts: list[OperationConflict]
    stored: StoredOperation | None
    """The operation as written, when accepted and not a dry run."""
    airspace: list[ConstraintConflict] = field(default_factory=list)
    """Constraints and agreed-zone sectors the operation enters (empty when the engine
    has no ``airspace``); a blocking one refuses the operation like a conflict does."""

    @property
    def blocking(self) -> list[OperationConflict]:
        return [c for c in self.conflicts if c.verdict is Verdict.BLOCKING]

    @property
    def notices(self) -> list[OperationConflict]:
        return [c for c in self.conflicts if c.verdict is Verdict.NOTICE]


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STATE_CHANGED = "state_changed"
    DELETED = "deleted"


@dataclass(frozen=True)
class OperationChange:
    """A written change, handed to ``on_change`` inside the transaction that wrote it.

    ``notices`` are the notice-verdict conflicts the operation was accepted with: the
    parties on both sides must be told, and telling them in the same transaction is
    what makes the telling durable.
    """

    kind: ChangeKind
    operation: Operation
    version: int | None
    """The stored version; None once deleted."""
    notices: tuple[OperationConflict, ...] = ()
    previous: Operation | None = None
    """What an update or a state change replaced (where it was, in which state): a
    receiver that watches an area must hear of an operation that left it too."""


ChangeHook = Callable[[StoreSession, OperationChange], None]
"""Called with the open write session; whatever it writes commits or rolls back with
the change. The core knows nothing of what it does (notify's outbox, an audit log)."""


class StrategicEngine:
    def __init__(
        self,
        store: Store,
        policy: EqualPriorityPolicy,
        on_change: ChangeHook | None = None,
        airspace: Callable[[StoreSession], AirspaceLookup] | None = None,
    ) -> None:
        """``airspace`` finds the constraints and zones a session sees (the store's
        ``SqlAirspace``): a parameter, so that the core never imports SQL."""
        self.store = store
        self.policy = policy
        self.on_change = on_change
        self.airspace = airspace

    def airspace_conflicts(
        self, session: StoreSession, planned: Operation
    ) -> list[ConstraintConflict]:
        """The constraints and zones in force that ``planned`` enters, judged."""
        if self.airspace is None:
            return []
        return airspace_conflicts(self.airspace(session), planned)

    def _changed(self, session: StoreSession, change: OperationChange) -> None:
        if self.on_change is not None:
            self.on_change(session, change)

    def conflicts(self, session: StoreSession, planned: Operation) -> list[OperationConflict]:
        """Every stored live operation that overlaps ``planned``, judged by the rules.

        In order of the other operation's start, party, then id: never by id across
        parties, since the order reaches the planner (its notices, its answer) and
        another party's ids are hidden from it."""
        if not planned.state.is_live:
            return []
        seen: dict[str, StoredOperation] = {}
        for v in planned.volumes:
            for s in session.candidates(v, exclude=planned.id):
                seen[s.operation.id] = s
        found = []
        for s in sorted(seen.values(), key=_conflict_order):
            other = s.operation
            overlaps = volume_overlaps(planned.volumes, other.volumes)
            if overlaps:
                verdict, reason = judge(planned, other, self.policy)
                found.append(OperationConflict(planned, other, overlaps, verdict, reason))
        return found

    def check(self, planned: Operation) -> Decision:
        """A dry run: the decision a submission would get now, nothing written."""

        def work(session: StoreSession) -> Decision:
            found = self.conflicts(session, planned)
            air = self.airspace_conflicts(session, planned)
            return Decision(not (_blocking(found) or airspace_blocking(air)), found, None, air)

        return self.store.run(work, write=False)

    def submit(self, planned: Operation, expected_version: int | None = None) -> Decision:
        """Write ``planned`` (create or replace) unless a blocking conflict stands.

        ``expected_version`` makes the write conditional: 0 means "must not exist yet",
        n means "the stored version must be n"; ``StaleVersion`` otherwise.
        """

        def work(session: StoreSession) -> Decision:
            current = session.get(planned.id)
            if current is not None and current.operation.party != planned.party:
                raise NotOwner(f"operation {planned.id!r} belongs to another party")
            if expected_version is not None:
                have = current.version if current is not None else 0
                if have != expected_version:
                    raise StaleVersion(
                        f"operation {planned.id!r} is at version {have}, not {expected_version}"
                    )
            if current is not None:  # a replacement is a state change too: no resurrection
                check_transition(current.operation.state, planned.state)
            found = self.conflicts(session, planned)
            air = self.airspace_conflicts(session, planned)
            if _blocking(found) or airspace_blocking(air):
                return Decision(False, found, None, air)
            stored = session.put(planned)
            kind = ChangeKind.CREATED if current is None else ChangeKind.UPDATED
            before = current.operation if current is not None else None
            change = OperationChange(kind, planned, stored.version, _notices(found), before)
            self._changed(session, change)
            return Decision(True, found, stored, air)

        self.store.prepare(planned)
        return self.store.run_grouped(work)

    def set_state(self, operation_id: str, state: OperationState) -> Decision:
        """Change state; moving to a nominal state re-checks the operation's conflicts.

        Only transitions in ``model.transitions.ALLOWED`` are made (``TransitionRefused``
        otherwise), checked inside the write transaction so two racing changes cannot
        both pass the check against a state one of them is leaving.
        """

        def work(session: StoreSession) -> Decision:
            current = session.get(operation_id)
            if current is None:
                raise NotFound(f"no operation {operation_id!r}")
            op = current.operation
            check_transition(op.state, state)
            changed = Operation(op.id, op.party, op.priority, state, op.volumes, op.details)
            found = self.conflicts(session, changed)
            air = self.airspace_conflicts(session, changed)
            returning = state.is_nominal and not current.operation.state.is_nominal
            if returning and (_blocking(found) or airspace_blocking(air)):
                return Decision(False, found, None, air)
            stored = session.put(changed)
            change = OperationChange(
                ChangeKind.STATE_CHANGED, changed, stored.version, _notices(found), op
            )
            self._changed(session, change)
            return Decision(True, found, stored, air)

        return self.store.run_grouped(work)

    def delete(self, operation_id: str) -> bool:
        def work(session: StoreSession) -> bool:
            current = session.get(operation_id) if self.on_change is not None else None
            if current is not None:  # told while the rows that name it (its F3548 id) exist
                change = OperationChange(ChangeKind.DELETED, current.operation, None)
                self._changed(session, change)
            return session.delete(operation_id)

        return self.store.run_grouped(work)


def _notices(conflicts: list[OperationConflict]) -> tuple[OperationConflict, ...]:
    return tuple(c for c in conflicts if c.verdict is Verdict.NOTICE)


def _blocking(conflicts: list[OperationConflict]) -> bool:
    return any(c.verdict is Verdict.BLOCKING for c in conflicts)


def _conflict_order(s: StoredOperation) -> tuple[datetime, str, str]:
    op = s.operation
    return (op.time_extent.start, op.party, op.id)
