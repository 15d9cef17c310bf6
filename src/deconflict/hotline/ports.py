"""What the hotline needs from the layers below and beside it, as protocols.

``MessageBook`` is the hotline's persistence inside one transaction (the SQL store
implements it); ``NoticeSink`` appends party events and ``AuditSink`` audit entries in
that same transaction (the notifier's durable event log, the audit log). Keeping them
as ports lets the service stay free of SQL and of the notify package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from deconflict.audit.entry import AuditEntry
from deconflict.hotline.events import PartyNotice
from deconflict.hotline.model import ConflictSides, Message, MessageQuery

T = TypeVar("T")


class MessageBook(Protocol):
    """The hotline's tables, seen through one open transaction."""

    def conflict(self, conflict_id: str) -> ConflictSides | None: ...

    def add(self, message: Message) -> None: ...

    def get(self, message_id: str) -> Message | None: ...

    def acknowledge(self, message_id: str, by: str, at: datetime) -> bool:
        """Mark acknowledged if not yet; False if it already was."""
        ...

    def any_due(self, now: datetime) -> bool:
        """A cheap read, so that an idle escalator need not open a write transaction."""
        ...

    def due(self, now: datetime, limit: int) -> list[Message]:
        """Unacknowledged, unescalated messages whose deadline has passed, oldest first."""
        ...

    def escalate(self, message_id: str, at: datetime) -> bool:
        """Mark escalated if still due; False if no longer due (acknowledged, or
        escalated by another replica)."""
        ...

    def query(self, q: MessageQuery) -> list[Message]: ...


class Transactions(Protocol):
    """Runs work in one serializable write (or read) transaction, retried on conflicts.

    ``work`` receives the book and the raw session (for the notice sink).
    """

    def run(self, work: Callable[[MessageBook, object], T], write: bool) -> T: ...


NoticeSink = Callable[[object, Sequence[PartyNotice]], None]
"""Appends notices to the parties' event logs through the given session."""

AuditSink = Callable[[object, Sequence[AuditEntry]], None]
"""Appends audit entries through the given session (the change's own transaction)."""

Identification = Callable[[object], Callable[[str, str], bool]]
"""Given a session, the disclosure policy's ``may_identify(viewer, other_party)`` as of
that transaction: whether a conflict message may name the counterpart."""
