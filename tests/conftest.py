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


def _pg_store(worker: str) -> SqlStore:
    import psycopg

    assert PG_URL is not None
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"deconflict_test_{worker}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    return open_store(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        s = _pg_store(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    yield s
    s.close()
