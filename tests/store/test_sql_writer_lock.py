"""PostgreSQL write transactions take turns (architecture decision 17): each takes
``writer_lock`` before its snapshot, so it sees every write committed before its turn
and writers of different replicas no longer abort each other; SERIALIZABLE stays."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from deconflict.core.engine import StrategicEngine
from deconflict.model.operation import Operation
from deconflict.settings import EqualPriorityPolicy
from deconflict.store.sql import SqlSession, SqlStore, open_store

from ..core.factories import operation, square, volume
from .test_sql_dialects import store_for


def test_a_postgresql_write_takes_its_turn_in_its_first_round_trip_and_a_read_does_not() -> None:
    store = store_for("postgresql")
    write = store._settings_sql(time.monotonic() + 5, write=True)
    read = store._settings_sql(time.monotonic() + 5, write=False)
    assert write.startswith("SET LOCAL statement_timeout")
    assert write.endswith("; LOCK TABLE writer_lock IN EXCLUSIVE MODE")
    assert "LOCK" not in read


def test_cockroachdb_has_no_lock_table_so_its_writers_keep_retrying() -> None:
    assert "LOCK" not in store_for("cockroachdb")._settings_sql(time.monotonic() + 5, write=True)


@pytest.fixture
def replicas(pg_store: SqlStore) -> Iterator[tuple[SqlStore, SqlStore]]:
    """Two stores on one schema: two replicas' connection pools and writer threads."""
    other = open_store(pg_store.engine.url.render_as_string(hide_password=False))
    yield pg_store, other
    other.close()


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _waiting_for_the_lock(store: SqlStore) -> bool:
    with store.engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE c.relname = 'writer_lock' AND NOT l.granted"
            )
        ).scalar_one()
    return bool(n)


def test_a_writer_waits_for_the_one_before_it_and_sees_what_it_committed(
    replicas: tuple[SqlStore, SqlStore],
) -> None:
    first, second = replicas
    seen: list[list[str]] = []
    done = threading.Event()

    def later_writer() -> None:
        # Its snapshot must come after the first writer's commit: it sees "a" and,
        # writing beside it, is not aborted for having missed it.
        def work(s: SqlSession) -> None:
            seen.append([c.operation.id for c in s.candidates(volume(square(0, 0)))])
            s.put(operation("b", volume(square(0.02, 0))))

        second.run(work)
        done.set()

    with first.session(write=True) as s:
        s.put(operation("a", volume(square(0, 0))))
        thread = threading.Thread(target=later_writer)
        thread.start()
        # Without its turn the second writer would read now, before "a" is committed,
        # and finish.
        _until(lambda: done.is_set() or _waiting_for_the_lock(first))
        assert not done.is_set()
    thread.join(20)
    assert seen == [["a"]]
    assert first.counts.retries == second.counts.retries == 0


def test_a_reader_does_not_wait_for_a_writer(replicas: tuple[SqlStore, SqlStore]) -> None:
    first, second = replicas
    with first.session(write=True) as s:
        s.put(operation("a", volume(square(0, 0))))
        with second.session() as r:
            assert r.get("a") is None  # the write is not committed, and nothing waited


def submit_across(replicas: tuple[SqlStore, SqlStore], plans: list[Operation]) -> list[bool]:
    """Whether each plan was accepted, submitted by 16 threads at once, the even-numbered
    ones through the first replica's engine and the others through the second's."""
    engines = [StrategicEngine(s, EqualPriorityPolicy.REJECT) for s in replicas]
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda k: engines[k % 2].submit(plans[k]).accepted, range(len(plans))))


def test_replicas_writing_overlapping_plans_accept_exactly_one_and_retry_nothing(
    replicas: tuple[SqlStore, SqlStore],
) -> None:
    # Squares 0.01° wide, 0.0005° apart: every two of them overlap.
    plans = [operation(f"p{k}", volume(square(0.0005 * k, 0))) for k in range(16)]
    decisions = submit_across(replicas, plans)
    assert sum(decisions) == 1
    with replicas[0].session() as s:
        assert sum(s.get(p.id) is not None for p in plans) == 1
    assert [s.counts.retries for s in replicas] == [0, 0]


def test_replicas_writing_apart_all_commit_without_a_retry(
    replicas: tuple[SqlStore, SqlStore],
) -> None:
    plans = [operation(f"p{k}", volume(square(0.05 * k, 0))) for k in range(40)]
    decisions = submit_across(replicas, plans)
    assert all(decisions)
    assert [s.counts.retries for s in replicas] == [0, 0]
