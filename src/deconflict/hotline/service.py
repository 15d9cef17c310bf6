"""The hotline's use cases, each one transaction: the change and its events commit together.

A message is written with its ``message.received`` event, an acknowledgement with its
``message.acknowledged`` event, an escalation with its ``message.escalated`` events,
so a crash never leaves a message that nobody was told about, nor an escalation that
fired without being recorded (and so would fire again).

Escalating exactly once with several replicas: each escalation re-checks the row
inside a serializable write transaction and marks it there; two replicas that pick the
same message collide, one is retried by the store, and the retry finds it escalated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from deconflict.audit.entry import AuditEntry
from deconflict.hotline import audit, events, rules
from deconflict.hotline.ids import opaque_id
from deconflict.hotline.model import Message, MessageQuery
from deconflict.hotline.ports import (
    AuditSink,
    Identification,
    MessageBook,
    NoticeSink,
    Transactions,
)
from deconflict.settings import HotlineSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_message_id() -> str:
    return opaque_id("m-")


class Hotline:
    def __init__(
        self,
        transactions: Transactions,
        notices: NoticeSink,
        settings: HotlineSettings,
        *,
        audit: AuditSink | None = None,
        identification: Identification | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.transactions = transactions
        self.notices = notices
        self.audit = audit
        self.identification = identification
        self.settings = settings
        self.clock = clock

    # ----------------------------------------------------------------- sending

    def send_to_conflict(
        self, sender: str, conflict_id: str, text: str, deadline_s: float | None = None
    ) -> Message:
        """To the other side of conflict ``conflict_id``, whoever that is."""
        body = rules.message_text(text, self.settings)

        def work(book: MessageBook, session: object) -> Message:
            found = book.conflict(conflict_id) if rules.well_formed_id(conflict_id) else None
            recipient = rules.other_side(found, sender)
            return self._send(book, session, sender, recipient, conflict_id, body, deadline_s)

        return self.transactions.run(work, write=True)

    def send(
        self, sender: str, recipient: str, text: str, deadline_s: float | None = None
    ) -> Message:
        """To a named party, about anything."""
        to = rules.recipient_named(sender, recipient)
        body = rules.message_text(text, self.settings)
        return self.transactions.run(
            lambda book, session: self._send(book, session, sender, to, None, body, deadline_s),
            write=True,
        )

    def _send(
        self,
        book: MessageBook,
        session: object,
        sender: str,
        recipient: str,
        conflict_id: str | None,
        text: str,
        deadline_s: float | None,
    ) -> Message:
        now = self.clock()
        message = Message(
            id=new_message_id(),
            conflict_id=conflict_id,
            sender=sender,
            recipient=recipient,
            text=text,
            created=now,
            deadline=rules.deadline_of(now, deadline_s, self.settings),
        )
        book.add(message)
        identify = self._identifies(session)(recipient, sender)
        self.notices(session, events.on_sent(message, identify))
        self._audit(session, audit.sent(message, identify))
        return message

    # ----------------------------------------------------------------- reading

    def get(self, viewer: str, message_id: str, *, operator: bool = False) -> Message:
        found = None
        if rules.well_formed_id(message_id):
            found = self.transactions.run(lambda book, _: book.get(message_id), write=False)
        return rules.readable(found, viewer, operator=operator)

    def messages(self, q: MessageQuery) -> list[Message]:
        """``q.party`` None is the operator's view of every message."""
        return self.transactions.run(lambda book, _: book.query(q), write=False)

    # ---------------------------------------------------------- acknowledging

    def acknowledge(self, party: str, message_id: str, *, operator: bool = False) -> Message:
        """Acknowledge as the recipient; acknowledging again changes nothing.

        A message acknowledged after it escalated is still acknowledged (the sender
        is told): late is better than never, and the record keeps both times.
        """

        def work(book: MessageBook, session: object) -> Message:
            found = book.get(message_id) if rules.well_formed_id(message_id) else None
            message = rules.readable(found, party, operator=operator)
            rules.check_acknowledger(message, party)
            if message.acknowledged_at is not None:
                return message
            at = self.clock()
            if not book.acknowledge(message_id, party, at):
                return message
            done = replace(message, acknowledged_at=at, acknowledged_by=party)
            identify = self._identifies(session)(done.sender, done.recipient)
            self.notices(session, events.on_acknowledged(done, identify))
            self._audit(session, audit.acknowledged(done, identify))
            return done

        return self.transactions.run(work, write=True)

    # ------------------------------------------------------------- escalating

    def escalate_due(self, now: datetime | None = None) -> list[Message]:
        """Escalate every message overdue at ``now`` (default: the clock), each once.

        Returns the messages this call escalated. Runs in batches of
        ``escalation_batch`` so that one transaction stays short after an outage.
        """
        at = self.clock() if now is None else now
        if not self.transactions.run(lambda book, _: book.any_due(at), write=False):
            return []
        escalated: list[Message] = []
        while True:
            batch = self.transactions.run(
                lambda book, session: self._escalate_batch(book, session, at), write=True
            )
            escalated.extend(batch)
            if len(batch) < self.settings.escalation_batch:
                return escalated

    def _escalate_batch(self, book: MessageBook, session: object, at: datetime) -> list[Message]:
        """One transaction: mark each due message, then write all their events and
        audit entries together (one event-log head update per party, not per message)."""
        done = [
            replace(m, escalated_at=at)
            for m in book.due(at, self.settings.escalation_batch)
            if rules.is_due(m, at) and book.escalate(m.id, at)
        ]
        if not done:
            return done
        operator = self.settings.operator_party
        identifies = self._identifies(session)
        notices = [
            n
            for m in done
            for n in events.on_escalated(m, operator, identifies(m.sender, m.recipient))
        ]
        self.notices(session, notices)
        self._audit(session, [e for m in done for e in audit.escalated(m, operator)])
        return done

    def views(
        self, viewer: str, messages: list[Message], *, operator: bool = False
    ) -> list[dict[str, Any]]:
        """``messages`` as ``viewer`` may see them, names as the sharing agreements allow."""
        if operator or not any(m.conflict_id for m in messages):
            return [events.view(m, viewer, operator=operator) for m in messages]

        def render(book: MessageBook, session: object) -> list[dict[str, Any]]:
            identifies = self._identifies(session)
            return [
                events.view(m, viewer, identify=identifies(viewer, events.counterpart(m, viewer)))
                for m in messages
            ]

        return self.transactions.run(render, write=False)

    def _identifies(self, session: object) -> Callable[[str, str], bool]:
        if self.identification is None:
            return _never
        return self.identification(session)

    def _audit(self, session: object, entries: list[AuditEntry]) -> None:
        if self.audit is not None:
            self.audit(session, entries)


def _never(viewer: str, other: str) -> bool:
    return False
