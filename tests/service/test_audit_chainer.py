"""Several chainers at once (threads here; replicas in production) never fork the chain."""

from __future__ import annotations

import threading

import pytest

from deconflict.service import audit_chainer as runtime
from deconflict.service.audit_chainer import Chainer
from deconflict.store.audit import (
    append_audit,
    chain_pending,
    count_pending,
    on_appended,
    verify_store,
)
from deconflict.store.sql import SqlStore
from tests.audit.helpers import entry

WRITERS = 3
PER_WRITER = 40
CHAINERS = 4


def test_concurrent_chainers_link_every_entry_once_into_one_chain(store: SqlStore) -> None:
    done = threading.Event()
    errors: list[BaseException] = []
    linked: list[int] = []

    def write(w: int) -> None:
        try:
            for n in range(PER_WRITER):
                with store.session(write=True) as s:
                    append_audit(s, [entry(w * 1000 + n)])
        except BaseException as exc:
            errors.append(exc)

    def chain() -> None:
        try:
            while not done.is_set():
                linked.append(chain_pending(store, batch=7))
            linked.append(chain_pending(store, batch=7))
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    chainers = [threading.Thread(target=chain) for _ in range(CHAINERS)]
    for t in chainers + writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in chainers:
        t.join()

    assert errors == []
    assert sum(linked) == WRITERS * PER_WRITER
    verdict = verify_store(store)
    assert verdict.ok and verdict.checked == WRITERS * PER_WRITER


def chained_within_10_s(store: SqlStore) -> int:
    """How many entries the chain holds once the first one is linked (or 10 s pass)."""
    for _ in range(200):
        if verify_store(store).checked >= 1:
            break
        threading.Event().wait(0.05)
    return verify_store(store).checked


def test_the_chainer_thread_links_entries_soon_after_their_commit(store: SqlStore) -> None:
    chainer = Chainer(store, poll_s=3600.0)  # only a wake-up can get it going in time
    chainer.start()
    try:
        with store.session(write=True) as s:
            append_audit(s, [entry(1)])
        assert chained_within_10_s(store) == 1
    finally:
        chainer.stop()


def test_stopping_the_chainer_links_what_is_pending(store: SqlStore) -> None:
    chainer = Chainer(store, poll_s=3600.0)
    chainer.start()
    chainer.stop()
    with store.session(write=True) as s:
        append_audit(s, [entry(1)])
    chainer.start()
    chainer.stop()
    with store.session() as s:
        assert count_pending(s.conn) == 0


def test_a_commit_that_appended_wakes_the_chainer_even_after_a_rollback(
    store: SqlStore,
) -> None:
    woken: list[int] = []
    stop = on_appended(store.engine, lambda: woken.append(1))
    try:
        with pytest.raises(RuntimeError), store.session(write=True) as s:
            append_audit(s, [entry(1)])
            raise RuntimeError("rolled back")
        assert woken == []
        with store.session(write=True) as s:
            append_audit(s, [entry(2)])
            append_audit(s, [entry(3)])
            assert woken == []  # not before the commit
        assert woken == [1]
    finally:
        stop()


def test_open_writers_and_a_chainer_do_not_make_each_other_fail(store: SqlStore) -> None:
    """Appending reads nothing shared: under SERIALIZABLE two writers open at once, and a
    chaining between them, all commit (PostgreSQL; SQLite has one writer at a time).
    Sessions opened as writes take turns on PostgreSQL too (architecture decision 17):
    these are opened as reads, which take none, and write beside each other."""
    if store.is_sqlite:
        pytest.skip("SQLite never has two write transactions open")
    with store.session(write=True) as s:
        append_audit(s, [entry(0)])
    with store.session() as first, store.session() as second:
        append_audit(first, [entry(1)])
        append_audit(second, [entry(2)])
        assert chain_pending(store) == 1
    assert chain_pending(store) == 2
    assert verify_store(store).checked == 3


def test_a_failed_chaining_is_tried_again_soon_not_at_the_next_poll(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = [RuntimeError("database briefly away")]

    def flaky(s: SqlStore) -> int:
        if failures:
            raise failures.pop()
        return chain_pending(s)

    monkeypatch.setattr(runtime, "chain_pending", flaky)
    chainer = Chainer(store, poll_s=3600.0)
    chainer.start()
    try:
        with store.session(write=True) as s:
            append_audit(s, [entry(1)])
        assert chained_within_10_s(store) == 1
        assert not failures
    finally:
        chainer.stop()
