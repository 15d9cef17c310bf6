"""SQL for the notification outbox and the party event log, on a caller's connection.

Writers (``add_notifications``, ``append_events``) run inside the transaction of the
change they report; the delivery worker's calls each run in a transaction of their own.
Nothing here knows HTTP or F3548: rows carry an opaque JSON body and a target URL.

Order: a channel's (receiver's) rows are handed out strictly by ``id``, and only its
head row decides whether the channel is due, so a later notification can never
overtake an earlier one that is waiting for a retry.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from deconflict.store.hooks import after_commit
from deconflict.store.schema_event_queue import party_events_pending
from deconflict.store.schema_notify import notify_outbox, party_event_heads, party_events


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """Dead-lettered: given up after the configured time; kept for operators."""


@dataclass(frozen=True, slots=True)
class NewNotification:
    channel: str
    url: str
    kind: str
    entity_id: str
    body: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    channel: str
    url: str
    kind: str
    entity_id: str
    body: str
    status: OutboxStatus
    attempts: int
    created_us: int
    next_attempt_us: int
    finished_us: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class NewEvent:
    party: str
    kind: str
    body: str


@dataclass(frozen=True, slots=True)
class EventRow:
    party: str
    seq: int
    kind: str
    created_us: int
    body: str


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        id=r.id,
        channel=r.channel,
        url=r.url,
        kind=r.kind,
        entity_id=r.entity_id,
        body=r.body,
        status=OutboxStatus(r.status),
        attempts=r.attempts,
        created_us=r.created_us,
        next_attempt_us=r.next_attempt_us,
        finished_us=r.finished_us,
        last_error=r.last_error,
    )


def add_notifications(conn: Connection, items: Sequence[NewNotification], now_us: int) -> None:
    if not items:
        return
    conn.execute(
        insert(notify_outbox),
        [
            {
                "channel": n.channel,
                "url": n.url,
                "kind": n.kind,
                "entity_id": n.entity_id,
                "body": n.body,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "created_us": now_us,
                "next_attempt_us": now_us,
                "lease_owner": None,
                "lease_until_us": None,
                "finished_us": None,
                "last_error": None,
            }
            for n in items
        ],
    )


def claim(
    conn: Connection,
    owner: str,
    now_us: int,
    lease_us: int,
    batch: int,
    exclude: Collection[str] = (),
    max_channels: int = 256,
) -> dict[str, list[OutboxRow]]:
    """Lease the due prefix of every idle channel: up to ``batch`` rows each, in order.

    A channel is due when its head row is not leased by a live worker and its next
    attempt time has come. Rows after the head are leased with it so that one worker
    owns the whole channel while it sends; a lease that outlives a crashed worker
    simply expires.
    """
    pending = OutboxStatus.PENDING.value
    heads = conn.execute(
        select(notify_outbox.c.channel, func.min(notify_outbox.c.id))
        .where(notify_outbox.c.status == pending)
        .group_by(notify_outbox.c.channel)
    ).all()
    head_ids = [h[1] for h in heads if h[0] not in exclude]
    if not head_ids:
        return {}
    due = (
        conn.execute(
            select(notify_outbox.c.channel)
            .where(notify_outbox.c.id.in_(head_ids))
            .where(notify_outbox.c.next_attempt_us <= now_us)
            .where(
                or_(
                    notify_outbox.c.lease_until_us.is_(None),
                    notify_outbox.c.lease_until_us < now_us,
                )
            )
            .order_by(notify_outbox.c.id)
            .limit(max_channels)
        )
        .scalars()
        .all()
    )
    claimed: dict[str, list[OutboxRow]] = {}
    for channel in due:
        rows = [
            _row(r)
            for r in conn.execute(
                select(notify_outbox)
                .where(notify_outbox.c.status == pending)
                .where(notify_outbox.c.channel == channel)
                .order_by(notify_outbox.c.id)
                .limit(batch)
            )
        ]
        if not rows:
            continue
        conn.execute(
            update(notify_outbox)
            .where(notify_outbox.c.id.in_([r.id for r in rows]))
            .values(lease_owner=owner, lease_until_us=now_us + lease_us)
        )
        claimed[channel] = rows
    return claimed


def has_due(conn: Connection, now_us: int) -> bool:
    """A cheap read that lets an idle worker skip taking the write lock to claim."""
    stmt = (
        select(notify_outbox.c.id)
        .where(notify_outbox.c.status == OutboxStatus.PENDING.value)
        .where(notify_outbox.c.next_attempt_us <= now_us)
        .where(
            or_(notify_outbox.c.lease_until_us.is_(None), notify_outbox.c.lease_until_us < now_us)
        )
        .limit(1)
    )
    return conn.execute(stmt).first() is not None


def mark_delivered(conn: Connection, ids: Collection[int], owner: str, now_us: int) -> None:
    if not ids:
        return
    conn.execute(
        update(notify_outbox)
        .where(notify_outbox.c.id.in_(sorted(ids)))
        .values(
            status=OutboxStatus.DELIVERED.value,
            attempts=notify_outbox.c.attempts + 1,
            finished_us=now_us,
            lease_owner=None,
            lease_until_us=None,
            last_error=None,
        )
    )


def mark_failed(
    conn: Connection,
    row_id: int,
    now_us: int,
    error: str,
    *,
    next_attempt_us: int | None,
) -> None:
    """Record a failed attempt: retry at ``next_attempt_us``, or dead-letter if None."""
    values: dict[str, Any] = {
        "attempts": notify_outbox.c.attempts + 1,
        "last_error": error[:2000],
        "lease_owner": None,
        "lease_until_us": None,
    }
    if next_attempt_us is None:
        values.update(status=OutboxStatus.FAILED.value, finished_us=now_us)
    else:
        values.update(next_attempt_us=next_attempt_us)
    conn.execute(update(notify_outbox).where(notify_outbox.c.id == row_id).values(values))


def release(conn: Connection, ids: Collection[int], owner: str) -> None:
    """Give back leased rows that were not attempted (the channel stopped at a failure)."""
    if not ids:
        return
    conn.execute(
        update(notify_outbox)
        .where(notify_outbox.c.id.in_(sorted(ids)))
        .where(notify_outbox.c.lease_owner == owner)
        .values(lease_owner=None, lease_until_us=None)
    )


def list_notifications(
    conn: Connection, status: OutboxStatus | None, after_id: int = 0, limit: int = 100
) -> list[OutboxRow]:
    stmt = select(notify_outbox).where(notify_outbox.c.id > after_id)
    if status is not None:
        stmt = stmt.where(notify_outbox.c.status == status.value)
    return [_row(r) for r in conn.execute(stmt.order_by(notify_outbox.c.id).limit(limit))]


def count_pending(conn: Connection) -> int:
    stmt = select(func.count()).where(notify_outbox.c.status == OutboxStatus.PENDING.value)
    return int(conn.execute(stmt).scalar_one())


def retry_failed(conn: Connection, ids: Collection[int], now_us: int) -> int:
    """Put dead letters back in the queue (behind everything already queued)."""
    rows = conn.execute(
        select(notify_outbox)
        .where(notify_outbox.c.id.in_(sorted(ids)))
        .where(notify_outbox.c.status == OutboxStatus.FAILED.value)
        .order_by(notify_outbox.c.id)
    ).all()
    add_notifications(
        conn,
        [NewNotification(r.channel, r.url, r.kind, r.entity_id, r.body) for r in rows],
        now_us,
    )
    conn.execute(delete(notify_outbox).where(notify_outbox.c.id.in_([r.id for r in rows])))
    return len(rows)


def purge(conn: Connection, delivered_before_us: int, events_before_us: int) -> tuple[int, int]:
    """Forget delivered notifications and party events past their retention time.

    Dead letters stay until an operator retries or removes them: they are the record
    of what a party never received.
    """
    a = conn.execute(
        delete(notify_outbox).where(
            and_(
                notify_outbox.c.status == OutboxStatus.DELIVERED.value,
                notify_outbox.c.finished_us < delivered_before_us,
            )
        )
    )
    b = conn.execute(delete(party_events).where(party_events.c.created_us < events_before_us))
    return int(a.rowcount or 0), int(b.rowcount or 0)


def append_events(conn: Connection, events: Sequence[NewEvent], now_us: int) -> list[EventRow]:
    """Append to each party's log, in the caller's transaction.

    On SQLite (one writer at a time) each event gets its ``seq`` here, from the
    party's head row, and the written rows are returned. On PostgreSQL a head row
    updated by every writer of a party would make that party's concurrent writers
    abort each other under SERIALIZABLE, however far apart their operations: the
    events are queued instead (a plain insert, no shared row read) and get their
    ``seq`` right after the commit (``sequence_events``); nothing is returned.
    """
    if not events:
        return []
    if conn.dialect.name != "sqlite":
        _queue(conn, events, now_us)
        return []
    by_party: dict[str, list[NewEvent]] = {}
    for e in events:
        by_party.setdefault(e.party, []).append(e)
    written: list[EventRow] = []
    for party in sorted(by_party):
        batch = by_party[party]
        first = _bump_head(conn, party, len(batch)) - len(batch) + 1
        written += [EventRow(party, first + i, e.kind, now_us, e.body) for i, e in enumerate(batch)]
    conn.execute(
        _INSERT_EVENT,
        [
            {
                "party": r.party,
                "seq": r.seq,
                "kind": r.kind,
                "created_us": r.created_us,
                "body": r.body,
            }
            for r in written
        ],
    )
    return written


class _Sequencer:
    """The after-commit hook of a transaction that queued events: their parties."""

    def __init__(self) -> None:
        self.parties: set[str] = set()

    def __call__(self, conn: Connection) -> None:
        sequence_events(conn, self.parties)


def _queue(conn: Connection, events: Sequence[NewEvent], now_us: int) -> None:
    conn.execute(
        _INSERT_QUEUED,
        [{"party": e.party, "kind": e.kind, "created_us": now_us, "body": e.body} for e in events],
    )
    after_commit(conn, "outbox.sequence_events", _Sequencer).parties.update(e.party for e in events)


def sequence_events(conn: Connection, parties: Collection[str]) -> int:
    """Give queued events of ``parties`` their ``seq``, in a transaction of its own.

    ``conn`` must have no transaction open. The transaction is READ COMMITTED: the
    party's head row lock (taken first, parties in sorted order) makes a second
    sequencer of the party wait and then see the first one's result, where under
    SERIALIZABLE it would abort; and it reads the queue without predicate locks, so
    writers queuing meanwhile are never made to retry. Sequencers commit in ``seq``
    order, so every reader's snapshot holds a gap-free prefix of each log. Within a
    party, queued events keep the order of their ids. Returns how many were moved.
    """
    moved = 0
    conn = conn.execution_options(isolation_level="READ COMMITTED")
    with conn.begin():
        for party in sorted(parties):
            # Creates the head if need be, and locks it until commit.
            last = _bump_head(conn, party, 0)
            # Statement-level snapshot taken after the lock: every queued row that was
            # committed before the previous sequencer of this party finished is seen.
            n = conn.execute(_MOVE_QUEUED, {"party": party, "last": last}).scalar_one()
            moved += int(n or 0)
    return moved


_MOVE_QUEUED = text(
    """
    WITH moved AS (
        DELETE FROM party_events_pending WHERE party = :party
        RETURNING id, kind, created_us, body
    ), added AS (
        INSERT INTO party_events (party, seq, kind, created_us, body)
        SELECT :party, :last + row_number() OVER (ORDER BY id), kind, created_us, body
        FROM moved
        RETURNING seq
    )
    UPDATE party_event_heads
    SET last_seq = :last + (SELECT count(*) FROM added)
    WHERE party = :party
    RETURNING last_seq - :last
    """
)
"""One round trip moves a party's queue into its log, numbered in queue order after
``last``, and advances its head (PostgreSQL and CockroachDB: data-modifying CTEs)."""


def _bump_head(conn: Connection, party: str, n: int) -> int:
    """Advance ``party``'s head by ``n`` and return its new ``last_seq``: one upsert, so
    two first events of a new party cannot both try to insert the head."""
    stmt = _HEAD_UPSERTS["sqlite" if conn.dialect.name == "sqlite" else "postgresql"]
    return int(conn.execute(stmt, {"party": party, "n": n}).scalar_one())


def _head_upsert(dialect_insert: Any) -> Any:
    return (
        dialect_insert(party_event_heads)
        .values(party=bindparam("party"), last_seq=bindparam("n"))
        .on_conflict_do_update(
            index_elements=[party_event_heads.c.party],
            set_={"last_seq": party_event_heads.c.last_seq + bindparam("n")},
        )
        .returning(party_event_heads.c.last_seq)
    )


# Built once (building and caching a statement per call cost more than SQLite takes to
# run it). CockroachDB's dialect derives from PostgreSQL's.
_INSERT_QUEUED = insert(party_events_pending)
_INSERT_EVENT = insert(party_events)
_HEAD_UPSERTS = {
    "postgresql": _head_upsert(postgresql.insert),
    "sqlite": _head_upsert(sqlite.insert),
}


def events_after(conn: Connection, party: str, after_seq: int, limit: int = 500) -> list[EventRow]:
    """The party's events after ``after_seq``, in order.

    Queued events of the party that are still there (their writer died between its
    commit and their sequencing, or is just about to sequence them) are sequenced
    right after this transaction, on its connection and within its deadline, so the
    next read returns them.
    """
    if conn.dialect.name != "sqlite" and _has_queued(conn, party):
        after_commit(conn, "outbox.sequence_events", _Sequencer).parties.add(party)
    rows = conn.execute(
        select(party_events)
        .where(party_events.c.party == party)
        .where(party_events.c.seq > after_seq)
        .order_by(party_events.c.seq)
        .limit(limit)
    )
    return [EventRow(r.party, r.seq, r.kind, r.created_us, r.body) for r in rows]


def _has_queued(conn: Connection, party: str) -> bool:
    found = conn.execute(
        select(party_events_pending.c.id).where(party_events_pending.c.party == party).limit(1)
    )
    return found.first() is not None


def last_seq(conn: Connection, party: str) -> int:
    found = conn.execute(
        select(party_event_heads.c.last_seq).where(party_event_heads.c.party == party)
    ).scalar_one_or_none()
    return int(found or 0)
