"""The request side of need-to-know: the policy for this principal, and its audit trail.

Routes read the agreements in the same transaction as the data they return, render
others' objects through the policy, and record what they showed of whom before the
response leaves, so ``deconflict audit export --party P`` can tell P who was shown what
of its operations, and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deconflict.access.policy import DisclosurePolicy, OperationView
from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.core.engine import Decision
from deconflict.model.operation import Operation
from deconflict.store.audit import append_audit
from deconflict.store.sharing import policy_of
from deconflict.store.sql import SqlStore


def operators_of(principal: Principal) -> frozenset[str]:
    return frozenset({principal.sub}) if Scope.ADMIN in principal.scopes else frozenset()


def policy_for(session: Any, principal: Principal) -> DisclosurePolicy:
    return policy_of(session, operators_of(principal))


def shown_views(
    viewer: str, shown: Iterable[tuple[Operation, OperationView]], via: str
) -> list[AuditEntry]:
    """One entry per other party's operation shown, with what of it was shown."""
    return [
        AuditEntry(
            DISCLOSURE,
            viewer,
            op.party,
            "operation",
            op.id,
            {"via": via, "level": view.level, "id": view.operation_id, "details": view.details},
        )
        for op, view in shown
        if op.party != viewer
    ]


def shown_conflicts(
    viewer: str, decisions: Iterable[Decision], policy: DisclosurePolicy, via: str
) -> list[AuditEntry]:
    """A conflict report shows where and when another party's operation overlaps."""
    return [
        AuditEntry(
            DISCLOSURE,
            viewer,
            c.b.party,
            "operation",
            c.b.id,
            {"via": via, "level": "conflict", "id": policy.may_name(viewer, c.a, c.b)},
        )
        for d in decisions
        for c in d.conflicts
        if c.b.party != viewer
    ]


def shown_objects(
    viewer: str, shown: Iterable[tuple[str, str, str, str]], via: str
) -> list[AuditEntry]:
    """Objects ``(owner, kind, id, level)`` shown to ``viewer``: one entry for each of
    them that ``viewer`` does not own."""
    return [
        AuditEntry(DISCLOSURE, viewer, owner, kind, object_id, {"via": via, "level": level})
        for owner, kind, object_id, level in shown
        if owner != viewer
    ]


def shown_references(
    viewer: str, shown: Iterable[tuple[str, str, str]], via: str
) -> list[AuditEntry]:
    """F3548 references ``(manager, kind, id)``: the standard has every USS see every
    other USS's references (ids and base URLs included) so that it can ask the manager
    for details; that is their whole disclosure level, and it is recorded all the same."""
    return shown_objects(viewer, ((m, kind, i, "f3548") for m, kind, i in shown), via)


def record(store: SqlStore, entries: list[AuditEntry]) -> None:
    """Write the disclosure entries; the caller answers only once they are stored."""
    if entries:
        store.run(lambda s: append_audit(s, entries), write=True)
