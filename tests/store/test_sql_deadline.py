"""Every transaction has a deadline: a lock held forever elsewhere gives the caller
``StoreUnavailable`` (a 503) once ``timeout_s`` is spent, never a hang; and the store
works again, unaided, once the lock is gone. On both backends."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import deconflict.store.sql as sql
from deconflict.errors import StoreUnavailable
from deconflict.store.sql import SqlStore, open_store, request_budget
from tests.conftest import BACKENDS, PG_URL
from tests.core.factories import operation, square, volume

TIMEOUT_S = 1.0
SAFETY_S = 60.0
"""A call still blocked this long is a hang: the test fails instead of waiting forever."""

Holder = Callable[[], AbstractContextManager[None]]


@pytest.fixture(params=BACKENDS)
def locked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SqlStore, Holder]]:
    """A store with a short deadline, and a way to hold its write lock from elsewhere."""
    if request.param == "sqlite":
        path = tmp_path / "deadline.db"
        store = open_store(f"sqlite:///{path}", timeout_s=TIMEOUT_S)

        @contextmanager
        def hold_sqlite() -> Iterator[None]:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                other.execute("ROLLBACK")
                other.close()

        yield store, hold_sqlite
        store.close()
        return

    import psycopg

    assert PG_URL is not None
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"deconflict_deadline_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    store = open_store(f"{PG_URL}{sep}options=-csearch_path%3D{schema}", timeout_s=TIMEOUT_S)

    @contextmanager
    def hold_pg() -> Iterator[None]:
        with psycopg.connect(plain) as other:
            other.execute(f'LOCK TABLE "{schema}".operations IN ACCESS EXCLUSIVE MODE')
            try:
                yield
            finally:
                other.rollback()

    yield store, hold_pg
    store.close()
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def outcome(call: Callable[[], Any]) -> Any:
    """The value or exception of ``call``, run in a thread so that a hang fails the test."""
    result: list[Any] = []

    def target() -> None:
        try:
            result.append(call())
        except Exception as exc:
            result.append(exc)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(SAFETY_S)
    assert result, f"still blocked after {SAFETY_S} s: the deadline did not hold"
    return result[0]


def put(store: SqlStore, op_id: str) -> Any:
    return store.run(lambda s: s.put(operation(op_id, volume(square(1, 2)))))


def test_a_write_behind_a_lock_held_elsewhere_ends_in_store_unavailable(
    locked: tuple[SqlStore, Holder],
) -> None:
    store, hold = locked
    with hold():
        assert isinstance(outcome(lambda: put(store, "a")), StoreUnavailable)


def test_the_store_writes_again_once_the_lock_is_released(
    locked: tuple[SqlStore, Holder],
) -> None:
    store, hold = locked
    with hold():
        outcome(lambda: put(store, "a"))
    assert put(store, "b").version == 1
    with store.session() as s:
        assert s.get("b") is not None


def test_a_request_budget_ends_a_transaction_before_its_own_longer_deadline(
    locked: tuple[SqlStore, Holder],
) -> None:
    store, hold = locked
    patient = SqlStore(store.engine, timeout_s=SAFETY_S * 2)  # would outwait the safety net

    def within_budget() -> Any:
        with request_budget(TIMEOUT_S):
            return put(patient, "a")

    with hold():
        assert isinstance(outcome(within_budget), StoreUnavailable)


def test_a_spent_request_budget_is_store_unavailable_before_any_work(
    locked: tuple[SqlStore, Holder],
) -> None:
    store, _ = locked
    with request_budget(0.0), pytest.raises(StoreUnavailable, match="spent"):
        put(store, "late")
    with store.session() as s:
        assert s.get("late") is None


@pytest.mark.skipif(PG_URL is None, reason="needs DECONFLICT_TEST_DATABASE_URL")
def test_migrations_are_not_ended_for_idling_between_statements(
    pg_schema: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each connection carries idle and lock ceilings of the store's deadline; the
    migrations' transaction, which nothing waits on but the starting process, does not."""
    real_upgrade = sql.upgrade

    def slow_upgrade(conn: Any) -> None:
        conn.execute(text("SELECT 1"))
        time.sleep(0.6)  # longer than the 0.2 s ceiling below
        real_upgrade(conn)

    monkeypatch.setattr(sql, "upgrade", slow_upgrade)
    store = open_store(pg_schema(), timeout_s=0.2)
    store.close()
