"""Follow-up work registered by a transaction runs after its commit, never after a
rollback, and its failure does not turn the committed change into an error."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from deconflict.errors import StoreUnavailable
from deconflict.store.hooks import after_commit
from deconflict.store.sql import SqlSession, SqlStore
from tests.core.factories import operation, square, volume


class Recorder:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, conn: Connection) -> None:
        self.calls += 1


class Failing:
    def __call__(self, conn: Connection) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def test_a_hook_runs_once_after_the_commit(store: SqlStore) -> None:
    with store.session(write=True) as s:
        hook = after_commit(s.conn, "k", Recorder)
        assert after_commit(s.conn, "k", Recorder) is hook  # registered once per key
        assert hook.calls == 0
    assert hook.calls == 1


def test_a_hook_of_a_rolled_back_transaction_never_runs(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.session(write=True) as s:
        hook = after_commit(s.conn, "k", Recorder)
        raise RuntimeError
    with store.session(write=True) as s:
        pass
    assert hook.calls == 0


def test_a_failing_hook_leaves_the_change_committed_and_reported_done(store: SqlStore) -> None:
    def work(s: SqlSession) -> int:
        after_commit(s.conn, "k", Failing)
        return s.put(operation("a", volume(square(1, 2)))).version

    assert store.run(work) == 1
    with store.session() as s:
        assert s.get("a") is not None


def test_a_transaction_whose_connection_dies_is_a_database_error(pg_store: SqlStore) -> None:
    """The server ends the session mid-transaction (an administrator, a restart): the
    caller gets ``StoreUnavailable`` (a 503), and the dead connection's hooks never run."""
    import psycopg

    from tests.conftest import PG_URL

    assert PG_URL is not None
    hook = Recorder()

    def work(s: SqlSession) -> None:
        after_commit(s.conn, "k", lambda: hook)
        pid = s.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        s.get("a")

    with pytest.raises(StoreUnavailable):
        pg_store.run(work)
    assert pg_store.run(lambda s: s.get("a"), write=False) is None  # a fresh connection
    assert hook.calls == 0
