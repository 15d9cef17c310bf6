"""The store follows the primary (issue 19): several hosts in one URL, a standby's refusal
to write is a 503 (and drops the pool), a failover is found without a restart, and a
server that stops answering costs a request its budget, never a hang.

Private servers (``pg_nodes.py``): a primary, a streaming standby promoted by hand. No
Patroni here; ``deploy/ha`` proves the same with a real cluster.
"""

from __future__ import annotations

import concurrent.futures
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import psycopg
import pytest

from deconflict.errors import StoreUnavailable
from deconflict.store.sql import SqlStore, open_store
from tests.core.factories import operation, square, volume
from tests.store.pg_nodes import BINARIES, Node, multi_host_url

pytestmark = pytest.mark.skipif(not BINARIES, reason="no PostgreSQL server binaries")

T = TypeVar("T")

SAFETY_S = 30.0
"""A call still blocked this long is a hang: the test fails instead of waiting forever."""


def no_hang(call: Callable[[], T]) -> T:
    """``call()``, failing the test if it does not return (or raise) within ``SAFETY_S``."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(call).result(timeout=SAFETY_S)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"still blocked after {SAFETY_S} s: a hang")
    finally:
        pool.shutdown(wait=False)


def replicated(primary: Node, standby: Node) -> None:
    """Wait until the standby has replayed everything the primary has written."""
    with psycopg.connect(f"host=127.0.0.1 port={primary.port} user=postgres") as p:
        row = p.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    with psycopg.connect(f"host=127.0.0.1 port={standby.port} user=postgres") as s:
        for _ in range(600):
            done = s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)).fetchone()
            if done and done[0]:
                return
            time.sleep(0.05)
    pytest.fail("the standby did not catch up")


def put(store: SqlStore, op_id: str) -> None:
    store.run(lambda s: s.put(operation(op_id, volume(square(1, 2)))))


def stored(store: SqlStore, op_id: str) -> bool:
    return store.run(lambda s: s.get(op_id), write=False) is not None


def start_pair() -> Iterator[tuple[Node, Node]]:
    primary = Node().start()
    standby: Node | None = None
    try:
        standby = Node(primary).start()
        # The schema exists before the standby is asked anything.
        open_store(multi_host_url(primary)).close()
        replicated(primary, standby)
        yield primary, standby
    finally:
        for node in (standby, primary):
            if node is not None:
                node.destroy()


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Node, Node]]:
    """Shared by the tests that leave both servers as they found them."""
    yield from start_pair()


@pytest.fixture
def doomed_pair() -> Iterator[tuple[Node, Node]]:
    """A pair of the test's own, for a test that kills its primary."""
    yield from start_pair()


def test_writes_reach_the_primary_when_a_standby_is_listed_first(
    pair: tuple[Node, Node],
) -> None:
    primary, standby = pair
    store = open_store(multi_host_url(standby, primary), timeout_s=5)
    try:
        put(store, "first")
        assert stored(store, "first")
    finally:
        store.close()
    with psycopg.connect(f"host=127.0.0.1 port={primary.port} user=postgres") as p:
        assert p.execute("SELECT count(*) FROM operations WHERE id = 'first'").fetchone() == (1,)


def test_a_standby_refusing_a_write_is_store_unavailable_not_a_driver_error(
    pair: tuple[Node, Node],
) -> None:
    _, standby = pair
    store = open_store(multi_host_url(standby, attrs="any"), timeout_s=2)
    try:
        with pytest.raises(StoreUnavailable):
            no_hang(lambda: put(store, "refused"))
        with pytest.raises(StoreUnavailable):  # SERIALIZABLE reads are refused too
            no_hang(lambda: stored(store, "refused"))
    finally:
        store.close()


def test_after_a_failover_the_store_finds_the_new_primary_by_itself(
    doomed_pair: tuple[Node, Node],
) -> None:
    primary, standby = doomed_pair
    store = open_store(multi_host_url(primary, standby), timeout_s=3)
    try:
        for n in range(4):  # several pooled connections to the old primary
            put(store, f"before-{n}")
        replicated(primary, standby)
        primary.stop("immediate")
        standby.promote()
        outcomes: list[str] = []
        for n in range(200):
            try:
                no_hang(lambda n=n: put(store, f"after-{n}"))  # type: ignore[misc]
            except StoreUnavailable:
                outcomes.append("503")
                time.sleep(0.1)
                continue
            outcomes.append("ok")
            break
        assert outcomes[-1] == "ok", outcomes
        assert all(stored(store, f"before-{n}") for n in range(4))
    finally:
        store.close()


def test_a_paused_server_costs_a_write_its_budget_not_a_hang(pair: tuple[Node, Node]) -> None:
    node, _ = pair
    store = open_store(multi_host_url(node), timeout_s=2)
    try:
        put(store, "before")
        node.signal_all(signal.SIGSTOP)
        try:
            with pytest.raises(StoreUnavailable):  # a pooled connection: the watchdog
                no_hang(lambda: put(store, "during"))
            store.engine.dispose()
            with pytest.raises(StoreUnavailable):  # a new connection: connect_timeout
                no_hang(lambda: put(store, "during"))
        finally:
            node.signal_all(signal.SIGCONT)
        no_hang(lambda: put(store, "after"))
        assert stored(store, "after")
    finally:
        store.close()


def test_a_paused_node_listed_first_is_skipped_by_a_new_connection(
    pair: tuple[Node, Node],
) -> None:
    primary, paused = pair
    paused.signal_all(signal.SIGSTOP)
    try:
        store = open_store(multi_host_url(paused, primary), timeout_s=6)
        try:
            no_hang(lambda: put(store, "skipped-the-paused-one"))
            assert stored(store, "skipped-the-paused-one")
        finally:
            store.close()
    finally:
        paused.signal_all(signal.SIGCONT)


def test_a_listener_that_never_answers_fails_the_open_instead_of_hanging() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        with pytest.raises(Exception, match=r"timeout|timed out"):
            no_hang(lambda: open_store(url, timeout_s=2))


def test_a_commit_the_synchronous_standby_never_confirmed_is_not_acknowledged(
    pair: tuple[Node, Node],
) -> None:
    """COMMIT waits for a standby that never confirms; a cancel (an operator's, a
    pooler's) ends the wait and PostgreSQL reports success with only a WARNING: the
    write is not replicated, so the store must answer 503, not acknowledge it."""
    primary, _ = pair
    admin = f"host=127.0.0.1 port={primary.port} user=postgres"

    def sync_standby(name: str) -> None:
        with psycopg.connect(admin, autocommit=True) as p:
            p.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{name}'")
            p.execute("SELECT pg_reload_conf()")

    def cancel_the_wait() -> None:
        with psycopg.connect(admin, autocommit=True) as p:
            for _ in range(600):
                row = p.execute(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                    "WHERE wait_event = 'SyncRep'"
                ).fetchone()
                if row is not None:
                    return
                time.sleep(0.02)

    store = open_store(multi_host_url(primary), timeout_s=20)
    try:
        store.run(lambda s: s.conn.exec_driver_sql("CREATE TABLE sync_probe (x int)"))
        sync_standby("nobody")  # no such standby: every COMMIT waits for it
        canceller = threading.Thread(target=cancel_the_wait)
        canceller.start()
        try:
            with pytest.raises(StoreUnavailable, match="synchronous standby"):
                no_hang(
                    lambda: store.run(
                        lambda s: s.conn.exec_driver_sql("INSERT INTO sync_probe VALUES (1)")
                    )
                )
        finally:
            canceller.join()
            sync_standby("")
    finally:
        store.close()
    with psycopg.connect(admin) as p:  # committed locally: the 503 was not a rollback
        assert p.execute("SELECT count(*) FROM sync_probe").fetchone() == (1,)
