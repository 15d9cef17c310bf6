"""Follow-up work registered by a transaction runs after its commit, never after a
rollback, and its failure does not turn the committed change into an error."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from deconflict.store.hooks import after_commit
from deconflict.store.sql import SqlSession, SqlStore

from ..core.factories import operation, square, volume


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
