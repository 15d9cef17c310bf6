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

Each appended entry gets a fresh salt and, when a key is registered for the engine
(``use_key``: the service registers its audit key), the key's seal. A chainer with a
key links only sealed entries: a pending row that was not appended by the service is
moved to ``audit_refused`` instead, where ``verify`` reports it.

There is deliberately no function here to update or delete a chained entry.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)

from deconflict.audit.chain import canonical_detail, export_record, leaf_of, link, seal_message
from deconflict.audit.entry import (
    GENESIS,
    AuditEntry,
    ChainedEntry,
    ChainHead,
    PartyHead,
    PendingEntry,
)
from deconflict.audit.keys import AuditKey
from deconflict.audit.party import claim_matches, describe
from deconflict.audit.statements import checkpoint, receipt_claim
from deconflict.audit.verify import Fault, FaultKind, Verdict, verify_chain
from deconflict.errors import DamagedDatabase
from deconflict.store.codec import to_us
from deconflict.store.hooks import after_commit
from deconflict.store.outbox import NewEvent, append_events
from deconflict.store.schema_audit import (
    HEAD_ID,
    audit_head,
    audit_log,
    audit_party_head,
    audit_pending,
    audit_refused,
)
from deconflict.store.schema_notify import party_event_heads
from deconflict.store.sessions import connection_of
from deconflict.store.sql import SqlStore

log = logging.getLogger(__name__)

CHAIN_BATCH = 500
"""Entries linked per chaining transaction: short transactions, bounded row locks."""

_wakers: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = weakref.WeakKeyDictionary()
_wakers_lock = threading.Lock()
_keys: weakref.WeakKeyDictionary[Engine, AuditKey] = weakref.WeakKeyDictionary()


def use_key(engine: Engine, key: AuditKey) -> None:
    """Seal every entry appended on ``engine`` in this process with ``key``, and make
    this process's chainings of ``engine`` link only entries sealed with it."""
    _keys[engine] = key


def key_of(engine: Engine) -> AuditKey | None:
    return _keys.get(engine)


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


def _entry_columns(e: AuditEntry) -> dict[str, Any]:
    """An entry's own columns, as every audit table stores them."""
    return {
        "kind": e.kind,
        "actor": e.actor,
        "subject": e.subject,
        "object_kind": e.object_kind,
        "object_id": e.object_id,
        "detail": canonical_detail(e.detail),
    }


def append_audit(session: Any, entries: Sequence[AuditEntry], at: datetime | None = None) -> None:
    """Append ``entries`` as pending, in the caller's transaction (they commit or roll
    back with it). ``at`` defaults to now."""
    if not entries:
        return
    conn = connection_of(session)
    at_us = to_us(at or datetime.now(UTC))
    key = _keys.get(conn.engine)
    rows = []
    for e in entries:
        row = {"at_us": at_us, **_entry_columns(e), "salt": os.urandom(16).hex(), "seal": None}
        if key is not None:
            row["seal"] = key.seal(_seal_message(row))
        rows.append(row)
    conn.execute(_INSERT_PENDING, rows)
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
    """Link up to ``batch`` pending entries after the head, in ``id`` order; returns how
    many pending rows were taken (linked, or refused for want of a valid seal)."""
    row = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash)
        .where(audit_head.c.id == HEAD_ID)
        .with_for_update()
    ).first()
    if row is None:
        raise DamagedDatabase("the audit chain head (audit_head) is missing: restore it")
    rows = conn.execute(select(audit_pending).order_by(audit_pending.c.id).limit(batch)).all()
    if not rows:
        return 0
    pending = [_pending(r) for r in rows]
    key = _keys.get(conn.engine)
    if key is not None:
        sealed = [_sealed_by(key, r) for r in rows]
        if not all(sealed):
            _refuse(conn, [r for r, ok in zip(rows, sealed, strict=True) if not ok])
            pending = [p for p, ok in zip(pending, sealed, strict=True) if ok]
    parties = _party_heads(conn, {p.entry.subject for p in pending if p.salt is not None})
    before = dict(parties)
    chained = link(ChainHead(int(row.seq), row.hash), pending, parties)
    if chained:
        conn.execute(insert(audit_log), [_log_row(c) for c in chained])
    gone = conn.execute(delete(audit_pending).where(audit_pending.c.id.in_([r.id for r in rows])))
    if gone.rowcount != len(rows):
        # Only possible if pending rows were removed behind the head lock's back.
        raise RuntimeError("audit: pending entries vanished while being chained")
    if chained:
        last = chained[-1]
        conn.execute(
            update(audit_head)
            .where(audit_head.c.id == HEAD_ID)
            .values(seq=last.seq, hash=last.hash)
        )
        _store_party_heads(conn, before, parties)
    return len(rows)


def _seal_message(row: Any) -> bytes:
    """A pending row's sealed content, from its stored columns (a dict or a row)."""
    m: Any = row if isinstance(row, dict) else row._mapping
    return seal_message(
        int(m["at_us"]),
        m["kind"],
        m["actor"],
        m["subject"],
        m["object_kind"],
        m["object_id"],
        m["detail"],
        m["salt"],
    )


def _sealed_by(key: AuditKey, row: Any) -> bool:
    """Whether the pending ``row`` carries ``key``'s seal over what it holds."""
    return row.salt is not None and key.sealed(_seal_message(row), row.seal)


def _refuse(conn: Connection, rows: Sequence[Any]) -> None:
    log.warning(
        "audit: %d pending entries not sealed by the service's key were set aside "
        "(audit_refused), not chained: pending ids %s",
        len(rows),
        ", ".join(str(r.id) for r in rows[:10]),
    )
    now = to_us(datetime.now(UTC))
    conn.execute(insert(audit_refused), [{**r._mapping, "refused_us": now} for r in rows])


def _party_heads(conn: Connection, subjects: set[str]) -> dict[str, PartyHead]:
    if not subjects:
        return {}
    found = conn.execute(
        select(audit_party_head).where(audit_party_head.c.subject.in_(sorted(subjects)))
    ).all()
    return {r.subject: PartyHead(r.subject, int(r.seq), r.leaf) for r in found}


def _store_party_heads(
    conn: Connection, before: dict[str, PartyHead], after: dict[str, PartyHead]
) -> None:
    new = [h for s, h in after.items() if s not in before]
    moved = [h for s, h in after.items() if s in before and before[s] != h]
    if new:
        conn.execute(
            insert(audit_party_head),
            [{"subject": h.subject, "seq": h.seq, "leaf": h.leaf} for h in new],
        )
    if moved:
        conn.execute(
            _UPDATE_PARTY_HEAD,
            [{"who": h.subject, "new_seq": h.seq, "new_leaf": h.leaf} for h in moved],
        )


_UPDATE_PARTY_HEAD = (
    update(audit_party_head)
    .where(audit_party_head.c.subject == bindparam("who"))
    .values(seq=bindparam("new_seq"), leaf=bindparam("new_leaf"))
)
"""Built once; one executemany per chaining for every subject whose chain moved."""


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
        raise DamagedDatabase("the audit chain head (audit_head) is missing: restore it")
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


def _pending(r: Any) -> PendingEntry:
    return PendingEntry(int(r.id), int(r.at_us), _entry(r), r.salt, r.seal)


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        r.kind, r.actor, r.subject, r.object_kind, r.object_id, orjson.loads(r.detail)
    )


def _chained(r: Any) -> ChainedEntry:
    party_seq = None if r.party_seq is None else int(r.party_seq)
    return ChainedEntry(
        int(r.seq),
        int(r.at_us),
        _entry(r),
        r.prev_hash,
        r.hash,
        r.salt,
        party_seq,
        r.party_prev,
        r.nonce,
    )


def _log_row(c: ChainedEntry) -> dict[str, Any]:
    e = c.entry
    return {
        "seq": c.seq,
        "at_us": c.at_us,
        **_entry_columns(e),
        "prev_hash": c.prev_hash,
        "hash": c.hash,
        "salt": c.salt,
        "party_seq": c.party_seq,
        "party_prev": c.party_prev,
        "nonce": c.nonce,
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
    if verdict.ok and inspect(conn).has_table(audit_party_head.name):
        # (``db check`` may read a database older than the per-party chains)
        return _party_heads_agree(conn, verdict)
    return verdict


def read_party_heads(conn: Connection) -> list[PartyHead]:
    rows = conn.execute(select(audit_party_head).order_by(audit_party_head.c.subject)).all()
    return [PartyHead(r.subject, int(r.seq), r.leaf) for r in rows]


def _party_heads_agree(conn: Connection, verdict: Verdict) -> Verdict:
    """The stored end of each subject's chain must be where its entries end: a head
    moved back (entries of one party cut off) or forward is named like the global one."""
    stored = {h.subject: h for h in read_party_heads(conn)}
    for subject in sorted(set(stored) | set(verdict.parties)):
        have, want = stored.get(subject), verdict.parties.get(subject)
        if have == want:
            continue
        message = (
            f"the chain of {subject!r} ends at its entry {want.seq if want else 0}, "
            f"but its head says {have.seq if have else 'nothing'}"
        )
        fault = Fault(FaultKind.MISSING, verdict.head.seq, message)
        return Verdict(verdict.checked, verdict.head, fault, verdict.parties)
    return verdict


def pending_summary(conn: Connection) -> tuple[int, int | None]:
    """How many entries wait to be chained, and the oldest one's ``at_us``."""
    row = conn.execute(select(func.count(), func.min(audit_pending.c.at_us))).one()
    return int(row[0]), None if row[1] is None else int(row[1])


def refused_entries(conn: Connection) -> list[tuple[int, int, AuditEntry]]:
    """``(pending id, refused at, entry)`` of every row the chainer refused."""
    rows = conn.execute(select(audit_refused).order_by(audit_refused.c.id)).all()
    return [(int(r.id), int(r.refused_us), _entry(r)) for r in rows]


def party_entry(conn: Connection, subject: str, party_seq: int) -> ChainedEntry | None:
    """The ``party_seq``-th entry of ``subject``'s own chain."""
    row = conn.execute(
        select(audit_log)
        .where(audit_log.c.subject == subject)
        .where(audit_log.c.party_seq == party_seq)
    ).first()
    return None if row is None else _chained(row)


def entries_on(conn: Connection, subject: str, object_kind: str, object_id: str) -> list[Any]:
    """Chained and pending entries about one object of ``subject`` (receipt checks):
    ``(seq or None, at_us, entry)``, chained first."""
    found: list[Any] = []
    for table in (audit_log, audit_pending):
        rows = conn.execute(
            select(table)
            .where(table.c.subject == subject)
            .where(table.c.object_kind == object_kind)
            .where(table.c.object_id == object_id)
        ).all()
        found += [
            (int(r.seq) if table is audit_log else None, int(r.at_us), _entry(r)) for r in rows
        ]
    return found


def export_subject(store: SqlStore, subject: str, out: BinaryIO) -> int:
    """Write the entries about ``subject`` to ``out`` as JSON Lines; returns how many."""
    n = 0
    with store.session() as s:
        for c in entries_about(s.conn, subject):
            out.write(orjson.dumps(export_record(c), option=orjson.OPT_SORT_KEYS))
            out.write(b"\n")
            n += 1
    return n


# -------------------------------------------------------------------- checkpoints

CHECKPOINT_EVENT = "audit.checkpoint"
"""The kind of the party event that carries a signed checkpoint."""


def publish_checkpoints(store: SqlStore, key: AuditKey, since: ChainHead | None) -> ChainHead:
    """Sign a checkpoint for every party with an event stream and queue it there, unless
    the chain head is still ``since``; returns the head the checkpoints are of.

    Each party gets the global head's hash and the head of its own chain, nobody
    else's: what it needs to hold the operator to its history, and nothing of the
    others' activity but the hash.
    """
    with store.session(write=True) as s:
        conn = s.conn
        head = read_head(conn)
        if head == since or head.seq == 0:
            return head
        now = to_us(datetime.now(UTC))
        parties = [r[0] for r in conn.execute(select(party_event_heads.c.party)).all()]
        own = {h.subject: h for h in read_party_heads(conn)}
        events = [
            NewEvent(
                p,
                CHECKPOINT_EVENT,
                orjson.dumps(checkpoint(key, now, head, own.get(p) or _no_entries(p))).decode(),
            )
            for p in sorted(parties)
            if p
        ]
        append_events(conn, events, now)
    return head


def _no_entries(subject: str) -> PartyHead:
    return PartyHead(subject, 0, GENESIS)


# ------------------------------------------------------- checkpoints and receipts


def checkpoint_problem(conn: Connection, statement: dict[str, Any]) -> str | None:
    """Why the log no longer holds what a (signature-checked) checkpoint vouches for;
    None when it does. With the full ``verify``, a checkpoint that holds proves that
    nothing up to it was removed or rewritten since it was signed."""
    when = statement.get("at_us")
    chain_hash = str((statement.get("chain") or {}).get("hash", ""))
    if seq_of_hash(conn, chain_hash) is None:
        return (
            f"the checkpoint of at_us {when} vouches for head {chain_hash[:16]}..., which the "
            "log no longer holds: it was truncated or rewritten"
        )
    party = statement.get("party") or {}
    subject, seq = str(party.get("subject", "")), int(party.get("seq", 0))
    if seq == 0:
        return None
    found = party_entry(conn, subject, seq)
    if found is None or leaf_of(found) != party.get("leaf"):
        return (
            f"the checkpoint of at_us {when} vouches for entry {seq} of {subject!r} with leaf "
            f"{str(party.get('leaf'))[:16]}..., which the log no longer holds"
        )
    return None


def receipt_places(conn: Connection, receipt: dict[str, Any]) -> list[tuple[str, int | None]]:
    """For each claim of a (signature-checked) receipt: its description and the ``seq``
    of the chained entry that holds it; 0 when only pending, None when nowhere."""
    at_us = int(receipt.get("at_us", 0))
    places: list[tuple[str, int | None]] = []
    for claim in receipt.get("entries", []):
        found: int | None = None
        for seq, appended, e in entries_on(
            conn,
            str(claim.get("subject")),
            str(claim.get("object_kind")),
            str(claim.get("object_id")),
        ):
            if appended <= at_us and claim_matches(claim, receipt_claim(e)):
                found = 0 if seq is None else seq
                if seq is not None:
                    break
        places.append((describe(claim), found))
    return places


def unsealed_pending(conn: Connection, key: AuditKey) -> list[tuple[int, AuditEntry]]:
    """Pending rows ``key`` did not seal: what a chainer with the key would refuse."""
    rows = conn.execute(select(audit_pending).order_by(audit_pending.c.id)).all()
    return [(int(r.id), _entry(r)) for r in rows if not _sealed_by(key, r)]


def has_sealed_pending(conn: Connection) -> bool:
    """Whether a service with an audit key appended any of the pending entries."""
    found = conn.execute(select(audit_pending.c.id).where(audit_pending.c.seal.is_not(None)))
    return found.first() is not None
