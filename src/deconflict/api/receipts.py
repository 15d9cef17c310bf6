"""Signed receipts for acknowledged native writes (the ``Deconflict-Receipt`` header).

A receipt is the service's signed word (``audit.statements``) that it accepted a
write, and which audit entries the write appended: the party keeps it, and later
``deconflict audit check-receipt`` finds those entries in the chain (or in the party's
export), or shows they are gone. The entries are rebuilt here from the acknowledged
result exactly as the engine's audit hook built them in the write's transaction: the
chain is linked after the commit, so the receipt cannot name a position, only content
and a time no earlier than the entries' own.

A deletion's entry carries the state and priority the operation had when deleted; the
receipt takes them from the read just before, so a concurrent state change by the
same party can make that one receipt name a state the entry does not.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import Request, Response

from deconflict.api import deps
from deconflict.audit.entry import AuditEntry
from deconflict.audit.statements import receipt, to_header
from deconflict.core.engine import ChangeKind, Decision, OperationChange
from deconflict.model.operation import Operation
from deconflict.service.audit_hooks import operation_entry

HEADER = "Deconflict-Receipt"


def change_entry(decision: Decision, kind: ChangeKind | None = None) -> AuditEntry | None:
    """The audit entry an accepted submission or state change appended; None if none."""
    stored = decision.stored
    if not decision.accepted or stored is None:
        return None
    if kind is None:
        kind = ChangeKind.CREATED if stored.version == 1 else ChangeKind.UPDATED
    return operation_entry(OperationChange(kind, stored.operation, stored.version))


def deletion_entry(operation: Operation) -> AuditEntry:
    return operation_entry(OperationChange(ChangeKind.DELETED, operation, None))


def signed(request: Request, party: str, entries: Sequence[AuditEntry | None]) -> str | None:
    """A signed receipt for ``entries``, as a header value; None when nothing was written
    (or the service has no audit key)."""
    key = deps.audit_key(request)
    written = [e for e in entries if e is not None]
    if key is None or not written:
        return None
    return to_header(receipt(key, time.time_ns() // 1000, party, written))


def attach(
    request: Request, response: Response, party: str, entries: Sequence[AuditEntry | None]
) -> Response:
    """Sign a receipt for ``entries`` and put it in ``response``'s header."""
    value = signed(request, party, entries)
    if value is not None:
        response.headers[HEADER] = value
    return response
