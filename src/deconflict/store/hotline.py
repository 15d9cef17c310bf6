"""SQL for the hotline: the conflict registry and messages, on a caller's transaction.

``register_conflict`` and ``conflict_id_for`` are for the writers of conflict notices
and alerts (the strategic notifier, tactical alerts): they run inside the transaction
that records the notice, so an id is never shown to a party without being registered.

``SqlTransactions`` adapts a ``SqlStore`` to the hotline's ``Transactions`` port.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from deconflict.errors import ConflictIdTaken
from deconflict.hotline.ids import opaque_id
from deconflict.hotline.model import (
    ConflictKind,
    ConflictSides,
    Message,
    MessageQuery,
    MessageStatus,
    Role,
)
from deconflict.hotline.ports import MessageBook
from deconflict.store.codec import from_us, to_us
from deconflict.store.schema_hotline import hotline_conflicts, hotline_messages
from deconflict.store.sql import SqlSession, SqlStore

T = TypeVar("T")


class HasConnection(Protocol):
    @property
    def conn(self) -> Connection: ...


def _conn(session: Connection | HasConnection) -> Connection:
    return session if isinstance(session, Connection) else session.conn


def new_conflict_id() -> str:
    """Random: an id says nothing about the conflict or its parties."""
    return opaque_id("c-")


# ------------------------------------------------------------ conflict registry


def register_conflict(
    session: Connection | HasConnection,
    conflict_id: str,
    party_a: str,
    party_b: str,
    kind: ConflictKind | str,
    subject_a: str = "",
    subject_b: str = "",
    now: datetime | None = None,
) -> None:
    """Make ``conflict_id`` a conflict between ``party_a`` and ``party_b``.

    Registering the same id for the same two parties again does nothing (a tactical
    alert re-published, a notice repeated); for other parties it raises
    ``ConflictIdTaken``, since a reused id would route messages to a stranger.
    """
    conn = _conn(session)
    found = conn.execute(
        select(hotline_conflicts.c.party_a, hotline_conflicts.c.party_b).where(
            hotline_conflicts.c.id == conflict_id
        )
    ).first()
    if found is not None:
        if {found.party_a, found.party_b} != {party_a, party_b}:
            raise ConflictIdTaken(f"conflict id {conflict_id!r} belongs to other parties")
        return
    conn.execute(
        insert(hotline_conflicts).values(
            id=conflict_id,
            kind=ConflictKind(kind).value,
            party_a=party_a,
            party_b=party_b,
            subject_a=subject_a,
            subject_b=subject_b,
            created_us=to_us(now or datetime.now(UTC)),
        )
    )


def conflict_id_for(
    session: Connection | HasConnection,
    kind: ConflictKind | str,
    side_a: tuple[str, str],
    side_b: tuple[str, str],
    now: datetime | None = None,
) -> str:
    """The id of the conflict between two ``(party, subject)`` sides, made on first use.

    The same pair (in either order) gets the same id every time it conflicts again, so
    a conversation about two operations stays in one thread.
    """
    (pa, sa), (pb, sb) = sorted((side_a, side_b), key=lambda s: (s[1], s[0]))
    kind_value = ConflictKind(kind).value
    conn = _conn(session)
    existing = conn.execute(
        select(hotline_conflicts.c.id)
        .where(hotline_conflicts.c.kind == kind_value)
        .where(hotline_conflicts.c.subject_a == sa)
        .where(hotline_conflicts.c.subject_b == sb)
        .where(hotline_conflicts.c.party_a == pa)
        .where(hotline_conflicts.c.party_b == pb)
        .order_by(hotline_conflicts.c.created_us)
        .limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        return str(existing)
    conflict_id = new_conflict_id()
    register_conflict(conn, conflict_id, pa, pb, kind_value, sa, sb, now)
    return conflict_id


def _conflict(r: Any) -> ConflictSides:
    return ConflictSides(
        id=r.id,
        kind=ConflictKind(r.kind),
        party_a=r.party_a,
        party_b=r.party_b,
        subject_a=r.subject_a,
        subject_b=r.subject_b,
        created=from_us(r.created_us),
    )


# ---------------------------------------------------------------------- messages


def _opt(us: int | None) -> datetime | None:
    return from_us(us) if us is not None else None


def _message(r: Any) -> Message:
    return Message(
        id=r.id,
        conflict_id=r.conflict_id,
        sender=r.sender,
        recipient=r.recipient,
        text=r.text,
        created=from_us(r.created_us),
        deadline=from_us(r.deadline_us),
        acknowledged_at=_opt(r.acknowledged_us),
        acknowledged_by=r.acknowledged_by,
        escalated_at=_opt(r.escalated_us),
    )


# Statements built once: constructing Core expressions costs more than running them on
# SQLite, and the escalator runs some of them once a second per replica.
_M = hotline_messages.c
_CONFLICT = select(hotline_conflicts).where(hotline_conflicts.c.id == bindparam("id"))
_ADD = insert(hotline_messages)
_GET = select(hotline_messages).where(_M.id == bindparam("id"))
_ACKNOWLEDGE = (
    update(hotline_messages)
    .where(_M.id == bindparam("key"))
    .where(_M.acknowledged_us.is_(None))
    .values(acknowledged_us=bindparam("at"), acknowledged_by=bindparam("by"), due_us=None)
)
_ANY_DUE = select(_M.id).where(_M.due_us <= bindparam("now")).limit(1)
_DUE = (
    select(hotline_messages)
    .where(_M.due_us <= bindparam("now"))
    .order_by(_M.due_us, _M.id)
    .limit(bindparam("limit"))
)
_ESCALATE = (
    update(hotline_messages)
    .where(_M.id == bindparam("key"))
    .where(_M.due_us.is_not(None))
    .where(_M.due_us <= bindparam("at"))
    .values(escalated_us=bindparam("at"), due_us=None)
)


class SqlMessageBook:
    """``MessageBook`` on one connection (one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def conflict(self, conflict_id: str) -> ConflictSides | None:
        row = self.conn.execute(_CONFLICT, {"id": conflict_id}).first()
        return _conflict(row) if row is not None else None

    def add(self, message: Message) -> None:
        self.conn.execute(
            _ADD,
            {
                "id": message.id,
                "conflict_id": message.conflict_id,
                "sender": message.sender,
                "recipient": message.recipient,
                "text": message.text,
                "created_us": to_us(message.created),
                "deadline_us": to_us(message.deadline),
                "due_us": to_us(message.deadline),
                "acknowledged_us": None,
                "acknowledged_by": None,
                "escalated_us": None,
            },
        )

    def get(self, message_id: str) -> Message | None:
        row = self.conn.execute(_GET, {"id": message_id}).first()
        return _message(row) if row is not None else None

    def acknowledge(self, message_id: str, by: str, at: datetime) -> bool:
        done = self.conn.execute(_ACKNOWLEDGE, {"key": message_id, "at": to_us(at), "by": by})
        return done.rowcount == 1

    def any_due(self, now: datetime) -> bool:
        return self.conn.execute(_ANY_DUE, {"now": to_us(now)}).first() is not None

    def due(self, now: datetime, limit: int) -> list[Message]:
        rows = self.conn.execute(_DUE, {"now": to_us(now), "limit": limit})
        return [_message(r) for r in rows]

    def escalate(self, message_id: str, at: datetime) -> bool:
        done = self.conn.execute(_ESCALATE, {"key": message_id, "at": to_us(at)})
        return done.rowcount == 1

    def query(self, q: MessageQuery) -> list[Message]:
        m = hotline_messages.c
        stmt = select(hotline_messages)
        if q.party is not None:
            if q.role is Role.SENT:
                stmt = stmt.where(m.sender == q.party)
            elif q.role is Role.RECEIVED:
                stmt = stmt.where(m.recipient == q.party)
            else:
                stmt = stmt.where(or_(m.sender == q.party, m.recipient == q.party))
        if q.conflict_id is not None:
            stmt = stmt.where(m.conflict_id == q.conflict_id)
        if q.status is MessageStatus.ACKNOWLEDGED:
            stmt = stmt.where(m.acknowledged_us.is_not(None))
        elif q.status is MessageStatus.ESCALATED:
            stmt = stmt.where(and_(m.acknowledged_us.is_(None), m.escalated_us.is_not(None)))
        elif q.status is MessageStatus.AWAITING:
            stmt = stmt.where(and_(m.acknowledged_us.is_(None), m.escalated_us.is_(None)))
        if q.since is not None:
            stmt = stmt.where(m.created_us >= to_us(q.since))
        stmt = stmt.order_by(m.created_us.desc(), m.id).limit(q.limit)
        return [_message(r) for r in self.conn.execute(stmt)]


class SqlTransactions:
    """The hotline's ``Transactions`` port on a ``SqlStore`` (retries included)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def run(self, work: Callable[[MessageBook, object], T], write: bool) -> T:
        def in_session(s: SqlSession) -> T:
            return work(SqlMessageBook(s.conn), s)

        return self.store.run(in_session, write=write)
