"""Party event logs under concurrency: a party's writers never abort each other over
its log, and every reader sees each log as a gap-free sequence in commit order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from deconflict.store import outbox
from deconflict.store.schema_event_queue import party_events_pending
from deconflict.store.schema_notify import party_events
from deconflict.store.sql import SqlStore


def event(party: str, kind: str) -> outbox.NewEvent:
    return outbox.NewEvent(party, kind, "{}")


def read(store: SqlStore, party: str) -> list[tuple[int, str]]:
    rows = store.run(lambda s: outbox.events_after(s.conn, party, 0), write=False)
    return [(r.seq, r.kind) for r in rows]


def test_events_of_a_party_are_numbered_from_one_in_commit_order(store: SqlStore) -> None:
    for kind in ("a", "b", "c"):
        store.run(lambda s, k=kind: outbox.append_events(s.conn, [event("alpha", k)], 0))
    store.run(lambda s: outbox.append_events(s.conn, [event("alpha", "d"), event("beta", "x")], 0))
    assert read(store, "alpha") == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
    assert read(store, "beta") == [(1, "x")]


def test_an_event_of_a_rolled_back_change_is_never_seen(store: SqlStore) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), store.session(write=True) as s:
        outbox.append_events(s.conn, [event("alpha", "lost")], 0)
        raise Abort
    store.run(lambda s: outbox.append_events(s.conn, [event("alpha", "kept")], 0))
    assert read(store, "alpha") == [(1, "kept")]


def test_concurrent_writers_of_one_party_both_commit(pg_store: SqlStore) -> None:
    """The second writer took its snapshot before the first committed: a counter row
    updated in both transactions would fail it with a serialization error. (A write
    session would wait for the first's turn, architecture decision 17: a session opened
    as a read, which takes none, still writes beside it.)"""
    with pg_store.session() as second:
        second.get("anything")  # the snapshot is taken here
        with pg_store.session(write=True) as first:
            outbox.append_events(first.conn, [event("alpha", "first")], 0)
        outbox.append_events(second.conn, [event("alpha", "second")], 0)
    assert read(pg_store, "alpha") == [(1, "first"), (2, "second")]


def test_events_a_crashed_writer_left_queued_are_sequenced_by_the_next_reader(
    pg_store: SqlStore,
) -> None:
    with pg_store.session(write=True) as s:  # committed, but never sequenced
        s.conn.execute(
            insert(party_events_pending).values(party="alpha", kind="k", created_us=0, body="{}")
        )
    read(pg_store, "alpha")
    with pg_store.session() as s:
        queued = s.conn.execute(select(func.count()).select_from(party_events_pending))
        assert queued.scalar_one() == 0
        seqs = s.conn.execute(select(party_events.c.seq).where(party_events.c.party == "alpha"))
        assert seqs.scalars().all() == [1]
    assert read(pg_store, "alpha") == [(1, "k")]
