"""Writing entries, and tampering with the log the way someone with SQL access could."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from deconflict.audit.chain import canonical_detail, entry_hash
from deconflict.audit.entry import AuditEntry
from deconflict.store.audit import append_audit, chain_pending, read_head
from deconflict.store.sql import SqlStore


def entry(n: int, subject: str = "alpha", actor: str | None = None) -> AuditEntry:
    return AuditEntry("change", actor or subject, subject, "operation", f"op{n}", {"n": n})


def logged(store: SqlStore, count: int, subject: str = "alpha") -> None:
    """``count`` entries, each appended in a transaction of its own, then chained."""
    for n in range(1, count + 1):
        with store.session(write=True) as s:
            append_audit(s, [entry(n, subject)])
    chain_pending(store)


def sql(store: SqlStore, statement: str, **params: Any) -> None:
    """Raw SQL past the store interface: what an intruder or a careless DBA can do."""
    with store.engine.connect() as conn:
        if store.is_sqlite:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.begin()
        conn.execute(text(statement), params)
        conn.commit()


def row_hash(store: SqlStore, seq: int) -> str:
    with store.session() as s:
        return str(
            s.conn.execute(
                text("SELECT hash FROM audit_log WHERE seq = :s"), {"s": seq}
            ).scalar_one()
        )


def stored_nonce(store: SqlStore, seq: int) -> str | None:
    from deconflict.store.audit import iter_chain

    with store.session() as s:
        return next(c.nonce for c in iter_chain(s.conn) if c.seq == seq)


def stored_leaf(store: SqlStore, seq: int) -> str | None:
    """The leaf of the chained entry at global ``seq``, recomputed from the row."""
    from deconflict.audit.chain import leaf_of
    from deconflict.store.audit import iter_chain

    with store.session() as s:
        return next(leaf_of(c) for c in iter_chain(s.conn) if c.seq == seq)


def head_seq(store: SqlStore) -> int:
    with store.session() as s:
        return read_head(s.conn).seq


def forge(store: SqlStore, seq: int, prev_hash: str, forged: AuditEntry, at_us: int = 0) -> None:
    """Insert a well-formed entry at ``seq``, hashed exactly as the chainer would."""
    h = entry_hash(forged, at_us, seq, prev_hash)
    sql(
        store,
        "INSERT INTO audit_log (seq, at_us, kind, actor, subject, object_kind, object_id,"
        " detail, prev_hash, hash) VALUES (:seq, :at, :kind, :actor, :subject, :ok, :oid,"
        " :detail, :prev, :hash)",
        seq=seq,
        at=at_us,
        kind=forged.kind,
        actor=forged.actor,
        subject=forged.subject,
        ok=forged.object_kind,
        oid=forged.object_id,
        detail=canonical_detail(forged.detail),
        prev=prev_hash,
        hash=h,
    )


def rewrite_history(store: SqlStore, drop: set[int] | None = None) -> None:
    """What an operator with SQL access and the published algorithm can do: drop the
    entries ``drop`` (global seqs), then rehash everything from the first entry on,
    every link, every subject's own chain and both heads, so that the log is
    internally consistent again."""
    from deconflict.audit.chain import link
    from deconflict.audit.entry import GENESIS, ChainHead, PartyHead, PendingEntry
    from deconflict.store.audit import iter_chain

    with store.session() as s:
        old = list(iter_chain(s.conn))
    kept = [c for c in old if c.seq not in (drop or set())]
    parties: dict[str, PartyHead] = {}
    chained = link(
        ChainHead(0, GENESIS),
        [PendingEntry(0, c.at_us, c.entry, c.salt) for c in kept],
        parties,
    )
    sql(store, "DELETE FROM audit_log")
    sql(store, "DELETE FROM audit_party_head")
    for c in chained:
        sql(
            store,
            "INSERT INTO audit_log (seq, at_us, kind, actor, subject, object_kind, object_id,"
            " detail, prev_hash, hash, salt, party_seq, party_prev, nonce) VALUES (:seq, :at,"
            " :kind, :actor, :subject, :ok, :oid, :detail, :prev, :hash, :salt, :pseq, :pprev,"
            " :nonce)",
            seq=c.seq,
            at=c.at_us,
            kind=c.entry.kind,
            actor=c.entry.actor,
            subject=c.entry.subject,
            ok=c.entry.object_kind,
            oid=c.entry.object_id,
            detail=canonical_detail(c.entry.detail),
            prev=c.prev_hash,
            hash=c.hash,
            salt=c.salt,
            pseq=c.party_seq,
            pprev=c.party_prev,
            nonce=c.nonce,
        )
    for h in parties.values():
        sql(
            store,
            "INSERT INTO audit_party_head (subject, seq, leaf) VALUES (:s, :n, :l)",
            s=h.subject,
            n=h.seq,
            l=h.leaf,
        )
    last = chained[-1] if chained else None
    sql(
        store,
        "UPDATE audit_head SET seq = :seq, hash = :hash",
        seq=last.seq if last else 0,
        hash=last.hash if last else GENESIS,
    )


def stream_for(store: SqlStore, party: str) -> None:
    """Give ``party`` an event stream, as its first event would."""
    from deconflict.store.outbox import NewEvent, append_events

    with store.session(write=True) as s:
        append_events(s.conn, [NewEvent(party, "test", "{}")], 0)
    if not store.is_sqlite:
        from deconflict.store.outbox import sequence_events

        with store.engine.connect() as conn:
            sequence_events(conn, [party])
