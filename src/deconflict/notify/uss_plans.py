"""Telling native parties of USS plans near their operations.

A USS's operational intent reaches the service two ways: the DSS sees each change a
USS makes through ``/dss/v1`` itself, and a USS that lists the service among its
subscribers (``dss.native_watch``) POSTs its F3548 notification to ``/uss/v1``. Either
way each native party whose live operations the intent's volumes meet gets one party
event per operation met, in the change's transaction:

- ``uss_intent.changed``: the intent's F3548 id, manager (the USS), version and state,
  the operation it meets (the party's own id), where and when they overlap (as a
  conflict notice shows another party's overlap), and the rules' verdict on it;
- ``conflict.notice`` as well when the rules let the intent overlap the operation
  (a USS of higher priority, or equal under ``allow_with_notice``): the party is told
  as it would be of a native operation planned there;
- ``uss_intent.deleted`` when the intent ends or no longer meets the operation.

Need-to-know: an event names the intent (which every USS may read in the DSS) and the
one operation of the receiving party it meets, never another of its operations or any
other party's. Each is a disclosure of the USS's intent in the audit record. A change a
party was already told of (same intent version, or already deleted) is not told twice,
so the DSS's own sighting and the USS's notification make one event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.core.report import volume_overlaps, where_and_when
from deconflict.core.rules import Reason, Verdict, judge
from deconflict.dss.one_airspace import overlapped_natives
from deconflict.dss.ports import DssSession
from deconflict.dss.records import IntentRef
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.model.times import rfc3339
from deconflict.settings import EqualPriorityPolicy
from deconflict.store.audit import append_audit
from deconflict.store.outbox import NewEvent
from deconflict.store.sessions import connection_of
from deconflict.store.uss_plans import Told, last_told


@dataclass(frozen=True)
class Kind:
    """What a USS told of: an operational intent or a constraint."""

    id_field: str
    events: str
    """The prefix of the party events' kinds (``<events>.changed``, ``.deleted``)."""
    object_kind: str

    @property
    def changed(self) -> str:
        return f"{self.events}.changed"

    @property
    def deleted(self) -> str:
        return f"{self.events}.deleted"


INTENT = Kind("operational_intent_id", "uss_intent", "operational_intent")
CONSTRAINT = Kind("constraint_id", "uss_constraint", "constraint_reference")
TOLD_OF_OVERLAP = frozenset({Reason.HIGHER_PRIORITY, Reason.EQUAL_PRIORITY})
"""Reasons a notice means the native operation is the one overlapped under the rules."""


@dataclass(frozen=True)
class UssPlan:
    """A USS's operational intent or constraint as far as a native party is concerned
    (a constraint is judged by no priority: its ``state`` and ``priority`` are unused)."""

    kind: Kind
    intent_id: str
    manager: str
    version: int
    state: OperationState
    volumes: tuple[Volume4D, ...]
    priority: int
    """The priority the rules hold it at: its USS's grant, never above."""
    via: str
    """``dss`` (seen by this service's DSS) or ``uss`` (a USS's notification)."""

    def as_operation(self) -> Operation:
        return Operation(self.intent_id, self.manager, self.priority, self.state, self.volumes)


def plan_of(s: DssSession, ref: IntentRef) -> UssPlan:
    """A change of this service's DSS, at the priority its USS is granted."""
    return UssPlan(
        INTENT,
        ref.id,
        ref.manager,
        ref.version,
        ref.state,
        ref.volumes,
        s.uss_priority(ref.manager),
        "dss",
    )


def tell_natives(
    s: DssSession,
    plan: UssPlan,
    *,
    deleted: bool,
    policy: EqualPriorityPolicy,
    met: Sequence[tuple[IntentRef, Operation]] | None = None,
) -> list[NewEvent]:
    """The party events (and their audit entries, appended here) for ``plan``'s
    change; ``plan.volumes`` empty with ``deleted`` means a deletion whose volumes are
    unknown: the parties told of the intent before are told it is gone. ``met``: the
    live native operations ``plan.volumes`` overlap, when the DSS found them for the
    change (``IntentChange.natives``); else they are searched here."""
    # A reference the DSS has just created was told to no one yet: no need to read the
    # event logs (which have no index for this) on the DSS's busiest path.
    new = plan.via == "dss" and plan.version <= 1 and not deleted
    found = [] if new else last_told(connection_of(s), plan.kind.id_field, plan.intent_id)
    told = {(t.party, t.operation_id): t for t in found}
    if met is None:
        met = overlapped_natives(s, plan.volumes) if plan.volumes else []
    events: list[NewEvent] = []
    shown: list[AuditEntry] = []
    if not deleted:
        for _, op in met:
            if op.party == plan.manager or _already(told.get((op.party, op.id)), plan):
                continue
            events.extend(_changed(plan, op, policy))
            shown.append(_disclosure(op.party, plan, plan.kind.changed))
    # Gone from near an operation: deleted, or moved away from one it met before.
    gone = {key for key, t in told.items() if not t.deleted}
    if deleted:
        gone |= {(op.party, op.id) for _, op in met}
        gone -= {key for key, t in told.items() if t.deleted}
    else:
        gone -= {(op.party, op.id) for _, op in met}
    for party, operation_id in sorted(gone):
        if party == plan.manager:
            continue
        body = {**_head(plan, operation_id), "change": "deleted" if deleted else "moved_away"}
        events.append(NewEvent(party, plan.kind.deleted, _dump(body)))
        shown.append(_disclosure(party, plan, plan.kind.deleted))
    append_audit(s, shown)
    return events


def _already(t: Told | None, plan: UssPlan) -> bool:
    """The party was told of this version (or a newer one) already."""
    return t is not None and not t.deleted and t.version >= plan.version


def _changed(plan: UssPlan, op: Operation, policy: EqualPriorityPolicy) -> list[NewEvent]:
    overlaps = sorted(
        (
            {"volume": o.a_index, **where_and_when(o.overlap)}
            for o in volume_overlaps(op.volumes, plan.volumes)
        ),
        key=lambda o: (o["volume"], o["time_start"]),
    )
    body: dict[str, Any] = {
        **_head(plan, op.id),
        "change": "created" if plan.version <= 1 else "updated",
        "time_start": rfc3339(min(v.time.start for v in plan.volumes)),
        "time_end": rfc3339(max(v.time.end for v in plan.volumes)),
        "overlaps": overlaps,
    }
    if plan.kind is not INTENT:
        return [NewEvent(op.party, plan.kind.changed, _dump(body))]
    verdict, reason = judge(plan.as_operation(), op, policy)
    body.update(
        state=plan.state.value, priority=plan.priority, verdict=verdict.value, reason=reason.value
    )
    events = [NewEvent(op.party, plan.kind.changed, _dump(body))]
    if verdict is Verdict.NOTICE and reason in TOLD_OF_OVERLAP:
        notice = {
            "operation_id": op.id,
            "planned_by_you": False,
            "verdict": verdict.value,
            "reason": reason.value,
            "overlaps": overlaps,
            "other_operational_intent_id": plan.intent_id,
            "other_manager": plan.manager,
        }
        events.append(NewEvent(op.party, "conflict.notice", _dump(notice)))
    return events


def _head(plan: UssPlan, operation_id: str) -> dict[str, Any]:
    return {
        plan.kind.id_field: plan.intent_id,
        "manager": plan.manager,
        "version": plan.version,
        "via": plan.via,
        "operation_id": operation_id,
    }


def _disclosure(party: str, plan: UssPlan, via: str) -> AuditEntry:
    """The party was shown where and when the USS's intent meets its operation."""
    detail = {"via": via, "level": "f3548_reference", "version": plan.version}
    return AuditEntry(
        DISCLOSURE, party, plan.manager, plan.kind.object_kind, plan.intent_id, detail
    )


def _dump(body: dict[str, Any]) -> str:
    return orjson.dumps(body).decode()


def deleted_plan(kind: Kind, entity_id: str, manager: str, version: int) -> UssPlan:
    """A deletion as a USS notifies it: no volumes, the state no longer matters."""
    return UssPlan(kind, entity_id, manager, version, OperationState.ENDED, (), 0, "uss")
