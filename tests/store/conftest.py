"""Fixtures of the store tests: a PostgreSQL store of a test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from deconflict.store.sql import SqlStore, open_store

from ..conftest import PG_URL


@pytest.fixture
def pg_store() -> Iterator[SqlStore]:
    """A PostgreSQL store in a schema of its own (the behaviour is PostgreSQL's: SQLite
    has one writer at a time, so its writers cannot meet in the first place)."""
    if PG_URL is None:
        pytest.skip("DECONFLICT_TEST_DATABASE_URL is not set")
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"deconflict_events_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    store = open_store(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    yield store
    store.close()
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
