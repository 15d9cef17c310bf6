"""What the store asks of PostgreSQL but not of CockroachDB (which lacks it)."""

from __future__ import annotations

import time

from sqlalchemy import create_engine

from deconflict.store.sql import SqlStore


def store_for(dialect_name: str) -> SqlStore:
    """A store on an engine that never connects, named as the dialect package names it."""
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    engine.dialect.name = dialect_name
    return SqlStore(engine)


def test_postgresql_transactions_scan_indexes_only_and_carry_a_statement_timeout() -> None:
    sql = store_for("postgresql")._settings_sql(time.monotonic() + 5)
    assert "enable_seqscan = off" in sql
    assert "statement_timeout" in sql


def test_cockroachdb_transactions_carry_a_statement_timeout_but_no_planner_switch() -> None:
    sql = store_for("cockroachdb")._settings_sql(time.monotonic() + 5)
    assert "enable_seqscan" not in sql
    assert "statement_timeout" in sql
