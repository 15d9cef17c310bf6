"""Group commit: writes queued while another runs share one transaction, each seeing
the ones before it, and a work that fails costs nobody else their write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from deconflict.core.engine import StrategicEngine
from deconflict.errors import StoreUnavailable
from deconflict.settings import EqualPriorityPolicy
from deconflict.store.sql import SqlSession, SqlStore

from ..core.factories import operation, square, volume

Work = Callable[[SqlSession], Any]


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def queued_behind_a_blocker(store: SqlStore, works: Sequence[Work]) -> list[Future[Any]]:
    """Run ``works`` through ``run_grouped`` while the writer is busy with another
    work, each queued after the previous one; then let the writer go on. Returns
    their futures, all settled."""
    gate, started = threading.Event(), threading.Event()

    def blocker(s: SqlSession) -> None:
        started.set()
        gate.wait(10)

    with ThreadPoolExecutor(len(works) + 1) as pool:
        first = pool.submit(store.run_grouped, blocker)
        assert started.wait(10)
        futures = []
        for w in works:
            futures.append(pool.submit(store.run_grouped, w))
            _until(lambda n=len(futures): store.grouping.queued() == n)
        gate.set()
        first.result()
        for f in futures:
            f.exception(timeout=30)
    return futures


def put(op_id: str, lon: float = 0.0) -> Work:
    return lambda s: s.put(operation(op_id, volume(square(lon, 0)))).version


def stored(store: SqlStore, *ids: str) -> list[bool]:
    with store.session() as s:
        return [s.get(i) is not None for i in ids]


def test_writes_queued_behind_a_running_one_commit_in_one_transaction(store: SqlStore) -> None:
    sessions: list[int] = []

    def put_and_note(op_id: str, lon: float) -> Work:
        def work(s: SqlSession) -> int:
            sessions.append(id(s))
            return int(put(op_id, lon)(s))

        return work

    futures = queued_behind_a_blocker(store, [put_and_note(f"op{k}", k) for k in range(5)])
    assert [f.result() for f in futures] == [1] * 5
    assert len(set(sessions)) == 1
    assert (store.grouping.batches, store.grouping.batched) == (1, 5)
    assert stored(store, *(f"op{k}" for k in range(5))) == [True] * 5


def test_each_work_of_a_batch_sees_what_the_earlier_ones_wrote(store: SqlStore) -> None:
    futures = queued_behind_a_blocker(
        store,
        [
            lambda s: s.get("a") is None,
            put("a"),
            lambda s: s.get("a") is not None,
            put("a"),  # a replacement: the second version
        ],
    )
    assert [f.result() for f in futures] == [True, 1, True, 2]
    assert store.grouping.batches == 1


def test_a_failing_work_gets_its_own_error_and_costs_the_others_nothing(
    store: SqlStore,
) -> None:
    def half_write_then_fail(s: SqlSession) -> None:
        put("bad", 5)(s)
        raise ValueError("refused")

    futures = queued_behind_a_blocker(store, [put("a", 1), half_write_then_fail, put("c", 3)])
    assert futures[0].result() == 1
    with pytest.raises(ValueError, match="refused"):
        futures[1].result()
    assert futures[2].result() == 1
    assert store.grouping.fallbacks >= 1
    assert stored(store, "a", "bad", "c") == [True, False, True]


def test_a_failed_batch_is_halved_so_the_works_beside_the_failing_one_still_share(
    store: SqlStore,
) -> None:
    def refused(s: SqlSession) -> None:
        raise ValueError("refused")

    works = [refused, *(put(f"op{k}", k) for k in range(1, 8))]
    futures = queued_behind_a_blocker(store, works)
    with pytest.raises(ValueError, match="refused"):
        futures[0].result()
    assert [f.result() for f in futures[1:]] == [1] * 7
    # 8 fail, then 4, then 2; op1 alone; op2-op3 and op4-op7 as two batches.
    assert (store.grouping.fallbacks, store.grouping.batches) == (3, 2)
    assert stored(store, *(f"op{k}" for k in range(1, 8))) == [True] * 7


def test_a_batch_the_database_refuses_is_run_again_work_by_work(store: SqlStore) -> None:
    """A serialization failure (here simulated, once) fails the whole shared
    transaction; each work then gets its own, and every write lands."""
    failed = threading.Event()

    def conflicting(s: SqlSession) -> int:
        if not failed.is_set():
            failed.set()
            raise OperationalError("COMMIT", {}, Exception("could not serialize access"))
        return 0

    futures = queued_behind_a_blocker(store, [put("a", 1), conflicting, put("c", 3)])
    assert [f.result() for f in futures] == [1, 0, 1]
    assert store.grouping.fallbacks >= 1
    assert stored(store, "a", "c") == [True, True]


def test_two_overlapping_submissions_in_one_batch_are_not_both_accepted(
    store: SqlStore,
) -> None:
    engine = StrategicEngine(store, EqualPriorityPolicy.REJECT)

    def submit(op_id: str) -> Work:
        # The engine's own work, run by the batch: what submit() hands to run_grouped.
        def work(s: SqlSession) -> bool:
            found = engine.conflicts(s, operation(op_id, volume(square(0, 0))))
            if found:
                return False
            s.put(operation(op_id, volume(square(0, 0))))
            return True

        return work

    futures = queued_behind_a_blocker(store, [submit("first"), submit("second")])
    decisions = [f.result() for f in futures]
    assert decisions == [True, False]
    assert store.grouping.batches == 1
    assert stored(store, "first", "second") == [True, False]


def test_engine_submissions_from_many_threads_accept_exactly_one_of_overlapping_plans(
    store: SqlStore,
) -> None:
    engine = StrategicEngine(store, EqualPriorityPolicy.REJECT)
    # Squares 0.01° wide, 0.0005° apart: every two of them overlap.
    plans = [operation(f"p{k}", volume(square(0.0005 * k, 0))) for k in range(12)]
    with ThreadPoolExecutor(12) as pool:
        accepted = [d.accepted for d in pool.map(engine.submit, plans)]
    assert sum(accepted) == 1


def test_closing_the_store_stops_the_writer_and_a_later_write_starts_it_again(
    store: SqlStore,
) -> None:
    before = set(threading.enumerate())
    assert store.run_grouped(put("a")) == 1
    (writer,) = [t for t in set(threading.enumerate()) - before if t.name == "deconflict-writer"]
    store.grouping.close()
    assert not writer.is_alive()
    assert store.run_grouped(put("b")) == 1
    assert stored(store, "a", "b") == [True, True]


def test_a_grouped_work_that_asks_for_another_gets_an_error_not_a_deadlock(
    store: SqlStore,
) -> None:
    with pytest.raises(RuntimeError, match="inside a grouped work"):
        store.run_grouped(lambda s: store.run_grouped(put("a")))
    assert store.run_grouped(put("b")) == 1


def test_a_write_whose_deadline_passed_in_the_queue_is_answered_503_without_running(
    store: SqlStore,
) -> None:
    ran: list[str] = []

    def late(s: SqlSession) -> None:
        ran.append("late")

    gate, started = threading.Event(), threading.Event()

    def blocker(s: SqlSession) -> None:
        started.set()
        gate.wait(10)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(store.run_grouped, blocker)
        assert started.wait(10)
        store.timeout_s = 0.05  # the deadline of the works queued from now on
        queued = pool.submit(store.run_grouped, late)
        _until(lambda: store.grouping.queued() == 1)
        time.sleep(0.1)
        gate.set()
        first.result()
        with pytest.raises(StoreUnavailable, match="was not run"):
            queued.result(timeout=10)
    assert ran == []
