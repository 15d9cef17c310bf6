"""What the service records in the audit log, and the hooks that record it.

This module sits above the store (it writes through ``store.audit``) and below the
API: ``Services`` composes these hooks with the notification ones, so each change
appends its entry in the transaction that makes the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from deconflict.audit.entry import CHANGE, AuditEntry
from deconflict.core.engine import ChangeHook, OperationChange
from deconflict.core.ports import StoreSession
from deconflict.dss.ports import DssSession
from deconflict.dss.records import ConstraintChange, IntentChange
from deconflict.dss.service import DssNotifier
from deconflict.store.audit import append_audit
from deconflict.store.constraints import EventSink, append_now
from deconflict.store.outbox import NewEvent


def operation_entry(change: OperationChange) -> AuditEntry:
    """The engine accepts writes only from an operation's party, so it is the actor."""
    op = change.operation
    return AuditEntry(
        CHANGE,
        op.party,
        op.party,
        "operation",
        op.id,
        {
            "change": change.kind.value,
            "version": change.version,
            "state": op.state.value,
            "priority": op.priority,
        },
    )


def intent_entry(change: IntentChange, deleted: bool) -> AuditEntry:
    ref = change.intent
    detail: dict[str, Any] = {"change": "deleted" if deleted else "written", "ovn": ref.ovn}
    if not deleted:
        detail.update(version=ref.version, state=ref.state.value)
    return AuditEntry(CHANGE, ref.manager, ref.manager, "operational_intent", ref.id, detail)


def dss_constraint_entry(change: ConstraintChange, deleted: bool) -> AuditEntry:
    ref = change.constraint
    detail: dict[str, Any] = {"change": "deleted" if deleted else "written", "ovn": ref.ovn}
    if not deleted:
        detail["version"] = ref.version
    return AuditEntry(CHANGE, ref.manager, ref.manager, "constraint_reference", ref.id, detail)


def record_operation_change(session: StoreSession, change: OperationChange) -> None:
    """The engine's ``on_change`` hook for the audit log."""
    append_audit(session, [operation_entry(change)])


def compose(*hooks: ChangeHook | None) -> ChangeHook:
    """One ``on_change`` hook that calls each of ``hooks`` in turn (same transaction)."""
    present = [h for h in hooks if h is not None]

    def both(session: StoreSession, change: OperationChange) -> None:
        for hook in present:
            hook(session, change)

    return both


AIRSPACE_KINDS = ("constraint", "zone")


def airspace_entries(events: Sequence[NewEvent]) -> list[AuditEntry]:
    """One ``change`` entry per party told of a constraint or zone change.

    The parties told are exactly those the change concerns (owner, parties let in or
    given sectors, parties with operations inside), so each finds it in its export.
    """
    entries = []
    for e in events:
        object_kind, _, _ = e.kind.partition(".")
        if object_kind not in AIRSPACE_KINDS:
            continue
        body = orjson.loads(e.body)
        detail = {k: body[k] for k in ("change", "version", "why") if k in body}
        actor = body.get("changed_by") or "unknown"
        entries.append(
            AuditEntry(CHANGE, actor, e.party, object_kind, str(body.get(object_kind)), detail)
        )
    return entries


def audited_sink(inner: EventSink | None, written: list[AuditEntry] | None = None) -> EventSink:
    """An event sink that also logs constraint and zone changes (``SqlAirspace``'s
    ``record``); ``None`` stands for writing straight to the party event log.
    ``written`` collects the entries appended (what a receipt of the write names)."""
    target = inner or append_now

    def record(session: Any, events: list[NewEvent]) -> None:
        target(session, events)
        entries = airspace_entries(events)
        append_audit(session, entries)
        if written is not None:
            written.extend(entries)

    return record


class AuditedDssNotifier:
    """The DSS notifier port: records the change, then hands it to ``inner``.

    ``record_events`` is the event sink of the DSS's constraint references (which are
    native constraints too): audited like the native constraint API's.
    """

    def __init__(self, inner: DssNotifier | None) -> None:
        self.inner = inner
        self.record_events = audited_sink(getattr(inner, "record_events", None))

    def intent_changed(self, session: DssSession, change: IntentChange, *, deleted: bool) -> None:
        append_audit(session, [intent_entry(change, deleted)])
        if self.inner is not None:
            self.inner.intent_changed(session, change, deleted=deleted)

    def constraint_changed(
        self, session: DssSession, change: ConstraintChange, *, deleted: bool
    ) -> None:
        append_audit(session, [dss_constraint_entry(change, deleted)])
        if self.inner is not None:
            self.inner.constraint_changed(session, change, deleted=deleted)
