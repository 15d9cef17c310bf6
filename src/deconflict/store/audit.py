"""SQL of the audit log: appending, chaining, and reading for verify and export.

Appending (``append_audit``) happens in the caller's transaction and only inserts into
``audit_pending``: it reads no shared row, so under SERIALIZABLE it adds no conflict
between writers. Chaining (``chain_pending``) runs in a transaction of its own, one
chainer at a time per database: the head row is locked first (``FOR UPDATE`` on
PostgreSQL, the single writer on SQLite), so a second chainer waits and then continues
from the new head; and ``seq`` is the primary key, so a fork could not be stored even
if that ever failed. On PostgreSQL the chainer runs at READ COMMITTED: its reads of
``audit_pending`` then take no SSI predicate locks, which would otherwise make every
writer that appended during a chaining a candidate for a serialization failure.

There is deliberately no function here to update or delete a chained entry.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from deconflict.audit.chain import canonical_detail, export_record, link
from deconflict.audit.entry import AuditEntry, ChainedEntry, ChainHead, PendingEntry
from deconflict.audit.verify import Verdict, verify_chain
from deconflict.errors import DeconflictError
from deconflict.store.codec import to_us
from deconflict.store.hooks import after_commit
from deconflict.store.schema_audit import HEAD_ID, audit_head, audit_log, audit_pending
from deconflict.store.sessions import connection_of
from deconflict.store.sql import SqlStore

CHAIN_BATCH = 500
"""Entries linked per chaining transaction: short transactions, bounded row locks."""

_wakers: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = weakref.WeakKeyDictionary()
_wakers_lock = threading.Lock()


def on_appended(engine: Engine, wake: Callable[[], None]) -> Callable[[], None]:
    """Call ``wake`` after each commit that appended entries on ``engine`` (the
    chainer's cue); returns the function that stops it."""
    with _wakers_lock:
        _wakers.setdefault(engine, []).append(wake)

    def stop() -> None:
        with _wakers_lock:
            found = _wakers.get(engine, [])
            if wake in found:
                found.remove(wake)

    return stop


_INSERT_PENDING = insert(audit_pending)
"""Built once: every write appends audit entries."""


def append_audit(session: Any, entries: Sequence[AuditEntry], at: datetime | None = None) -> None:
    """Append ``entries`` as pending, in the caller's transaction (they commit or roll
    back with it). ``at`` defaults to now."""
    if not entries:
        return
    conn = connection_of(session)
    at_us = to_us(at or datetime.now(UTC))
    conn.execute(
        _INSERT_PENDING,
        [
            {
                "at_us": at_us,
                "kind": e.kind,
                "actor": e.actor,
                "subject": e.subject,
                "object_kind": e.object_kind,
                "object_id": e.object_id,
                "detail": canonical_detail(e.detail),
            }
            for e in entries
        ],
    )
    with _wakers_lock:
        wakers = list(_wakers.get(conn.engine, ()))
    if wakers:
        # After the COMMIT itself (SQLAlchemy's "commit" event fires just before it, when
        # a chainer would find nothing yet); dropped on rollback; once per transaction.
        after_commit(conn, "audit.wake", lambda: _waking(wakers))


def _waking(wakers: list[Callable[[], None]]) -> Callable[[Connection], None]:
    def wake_all(_conn: Connection) -> None:
        for wake in wakers:
            wake()

    return wake_all


# ----------------------------------------------------------------------- chaining


@contextmanager
def _chaining(store: SqlStore) -> Iterator[Connection]:
    """A write transaction for one chaining step (see the module docstring)."""
    if store.is_sqlite:
        with store.session(write=True) as s:
            yield s.conn
        return
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            yield conn


def has_pending(conn: Connection) -> bool:
    return conn.execute(select(audit_pending.c.id).limit(1)).first() is not None


def count_pending(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_pending)).scalar_one())


def chain_step(conn: Connection, batch: int = CHAIN_BATCH) -> int:
    """Link up to ``batch`` pending entries after the head, in ``id`` order."""
    row = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash)
        .where(audit_head.c.id == HEAD_ID)
        .with_for_update()
    ).first()
    if row is None:
        raise DeconflictError("the audit chain head (audit_head) is missing: restore it")
    pending = [
        PendingEntry(r.id, r.at_us, _entry(r))
        for r in conn.execute(select(audit_pending).order_by(audit_pending.c.id).limit(batch))
    ]
    if not pending:
        return 0
    chained = link(ChainHead(int(row.seq), row.hash), pending)
    conn.execute(insert(audit_log), [_log_row(c) for c in chained])
    gone = conn.execute(
        delete(audit_pending).where(audit_pending.c.id.in_([p.id for p in pending]))
    )
    if gone.rowcount != len(pending):
        # Only possible if pending rows were removed behind the head lock's back.
        raise RuntimeError("audit: pending entries vanished while being chained")
    last = chained[-1]
    conn.execute(
        update(audit_head).where(audit_head.c.id == HEAD_ID).values(seq=last.seq, hash=last.hash)
    )
    return len(chained)


def chain_pending(store: SqlStore, batch: int = CHAIN_BATCH) -> int:
    """Link every pending entry into the chain; returns how many were linked. Safe to
    run from several threads and processes at once."""
    total = 0
    while True:
        with store.session() as s:
            if not has_pending(s.conn):
                return total
        with _chaining(store) as conn:
            n = chain_step(conn, batch)
        total += n
        if n < batch:
            return total


# ------------------------------------------------------------------------ reading


def read_head(conn: Connection) -> ChainHead:
    row = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == HEAD_ID)
    ).first()
    if row is None:
        raise DeconflictError("the audit chain head (audit_head) is missing: restore it")
    return ChainHead(int(row.seq), row.hash)


def iter_chain(conn: Connection, batch: int = 2000) -> Iterator[ChainedEntry]:
    """Every chained entry in ``seq`` order, read in pages (keyset, on this connection:
    one transaction, one snapshot)."""
    after = None
    while True:
        stmt = select(audit_log).order_by(audit_log.c.seq).limit(batch)
        if after is not None:
            stmt = stmt.where(audit_log.c.seq > after)
        rows = conn.execute(stmt).all()
        for r in rows:
            yield _chained(r)
        if len(rows) < batch:
            return
        after = rows[-1].seq


def seq_of_hash(conn: Connection, hash_: str) -> int | None:
    found = conn.execute(select(audit_log.c.seq).where(audit_log.c.hash == hash_)).scalar()
    return None if found is None else int(found)


def entries_about(conn: Connection, subject: str, batch: int = 2000) -> Iterator[ChainedEntry]:
    """The chained entries whose subject is ``subject``, in ``seq`` order."""
    after = 0
    while True:
        rows = conn.execute(
            select(audit_log)
            .where(audit_log.c.subject == subject)
            .where(audit_log.c.seq > after)
            .order_by(audit_log.c.seq)
            .limit(batch)
        ).all()
        for r in rows:
            yield _chained(r)
        if len(rows) < batch:
            return
        after = rows[-1].seq


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        r.kind, r.actor, r.subject, r.object_kind, r.object_id, orjson.loads(r.detail)
    )


def _chained(r: Any) -> ChainedEntry:
    return ChainedEntry(int(r.seq), int(r.at_us), _entry(r), r.prev_hash, r.hash)


def _log_row(c: ChainedEntry) -> dict[str, Any]:
    e = c.entry
    return {
        "seq": c.seq,
        "at_us": c.at_us,
        "kind": e.kind,
        "actor": e.actor,
        "subject": e.subject,
        "object_kind": e.object_kind,
        "object_id": e.object_id,
        "detail": canonical_detail(e.detail),
        "prev_hash": c.prev_hash,
        "hash": c.hash,
    }


# ------------------------------------------------------------- verify and export


Progress = Callable[[int, int], None]
"""``(entries done, entries in all)``."""

PROGRESS_EVERY = 1000


def verify_store(store: SqlStore, progress: Progress | None = None) -> Verdict:
    """Check the whole chain against its head, from one snapshot."""
    with store.session() as s:
        return verify_connection(s.conn, progress)


def verify_connection(conn: Connection, progress: Progress | None = None) -> Verdict:
    """``verify_store`` in the transaction open on ``conn`` (``db check`` runs it
    beside its other checks)."""
    head = read_head(conn)

    def entries() -> Iterator[ChainedEntry]:
        for i, c in enumerate(iter_chain(conn), 1):
            yield c
            if progress is not None and i % PROGRESS_EVERY == 0:
                progress(i, head.seq)

    verdict = verify_chain(entries(), head, lambda h: seq_of_hash(conn, h))
    if progress is not None:
        progress(verdict.checked, head.seq)
    return verdict


def export_subject(store: SqlStore, subject: str, out: BinaryIO) -> int:
    """Write the entries about ``subject`` to ``out`` as JSON Lines; returns how many."""
    n = 0
    with store.session() as s:
        for c in entries_about(s.conn, subject):
            out.write(orjson.dumps(export_record(c), option=orjson.OPT_SORT_KEYS))
            out.write(b"\n")
            n += 1
    return n
