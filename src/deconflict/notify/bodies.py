"""What a party is told: the bodies of native party events.

A party event never carries another party's identity unless disclosure allows it. (The
F3548 bodies a subscribed USS is sent are the wire format's: ``deconflict.dss.wire``.)
"""

from __future__ import annotations

from typing import Any

from deconflict.core.engine import OperationChange
from deconflict.core.report import OperationConflict, where_and_when
from deconflict.dss.records import ConstraintRef, IntentRef
from deconflict.model.operation import Operation
from deconflict.model.times import rfc3339
from deconflict.notify.disclosure import Disclosure


def operation_event(change: OperationChange) -> dict[str, Any]:
    """The owner's own view: enough to know what changed, with a version to fetch."""
    op = change.operation
    extent = op.time_extent
    alt = op.altitude_extent
    return {
        "operation_id": op.id,
        "change": change.kind.value,
        "version": change.version,
        "state": op.state.value,
        "priority": op.priority,
        "time_start": rfc3339(extent.start),
        "time_end": rfc3339(extent.end),
        "altitude_lower_m": alt.lower_m,
        "altitude_upper_m": alt.upper_m,
        "volumes": len(op.volumes),
    }


def conflict_notices(
    conflict: OperationConflict, disclosure: Disclosure, conflict_id: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """One notice per side: ``(party, body)``, each about that party's own volumes.

    Each side learns which of its volumes, when, at what altitudes and where; whether
    it also learns *who* (the other operation and party) is the disclosure policy's
    call, asked separately for each side. ``conflict_id`` (the same opaque id on both
    sides) lets either side message the other through the hotline without knowing it.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    sides: tuple[tuple[Operation, Operation, bool], ...] = (
        (conflict.a, conflict.b, False),
        (conflict.b, conflict.a, True),
    )
    for own, other, swap in sides:
        overlaps = []
        for o in conflict.overlaps:
            overlaps.append(
                {"volume": o.b_index if swap else o.a_index, **where_and_when(o.overlap)}
            )
        body: dict[str, Any] = {
            "operation_id": own.id,
            "planned_by_you": not swap,
            "verdict": conflict.verdict.value,
            "reason": conflict.reason.value,
            "overlaps": sorted(overlaps, key=lambda o: (o["volume"], o["time_start"])),
        }
        if conflict_id is not None:
            body["conflict_id"] = conflict_id
        if disclosure.may_name(own.party, own, other):
            body["other_operation_id"] = other.id
            body["other_party"] = other.party
        out.append((own.party, body))
    return out


def intent_event(ref: IntentRef, deleted: bool) -> dict[str, Any]:
    return _reference_event("operational_intent_id", ref, deleted, state=ref.state.value)


def constraint_event(ref: ConstraintRef, deleted: bool) -> dict[str, Any]:
    return _reference_event("constraint_id", ref, deleted)


def _reference_event(
    id_field: str, ref: IntentRef | ConstraintRef, deleted: bool, **extra: Any
) -> dict[str, Any]:
    """The manager's own view of its DSS reference's change: a version 1 is new."""
    return {
        id_field: ref.id,
        "change": "deleted" if deleted else "updated" if ref.version > 1 else "created",
        "version": ref.version,
        **extra,
        "time_start": rfc3339(ref.time_start),
        "time_end": rfc3339(ref.time_end),
    }
