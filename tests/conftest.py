"""Shared fixtures: a fresh store on SQLite always, and on PostgreSQL when configured.

``DECONFLICT_TEST_DATABASE_URL`` names the PostgreSQL server (``.ci/run`` sets it).
Each xdist worker gets its own schema there, emptied before every test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from deconflict.store.sql import SqlStore, open_store

PG_URL = os.environ.get("DECONFLICT_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


def _pg_schema(drop: bool = False) -> str:
    """A schema of this worker process (unique even across concurrent runs), fresh."""
    import psycopg

    assert PG_URL is not None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"deconflict_test_{worker}_{os.getpid()}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if not drop:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


def _pg_store() -> SqlStore:
    assert PG_URL is not None
    sep = "&" if "?" in PG_URL else "?"
    return open_store(f"{PG_URL}{sep}options=-csearch_path%3D{_pg_schema()}")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        s = _pg_store()
    yield s
    s.close()
    if request.param != "sqlite":
        _pg_schema(drop=True)
