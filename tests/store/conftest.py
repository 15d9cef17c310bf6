"""Fixtures of the store tests: a PostgreSQL store of a test's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deconflict.store.sql import SqlStore

from ..conftest import PG_URL
from ..stores import PgSchemaPool


@pytest.fixture
def pg_store(request: pytest.FixtureRequest) -> Iterator[SqlStore]:
    """A fresh, migrated PostgreSQL store of the test's own (the behaviour is PostgreSQL's:
    SQLite has one writer at a time, so its writers cannot meet in the first place)."""
    if PG_URL is None:
        pytest.skip("DECONFLICT_TEST_DATABASE_URL is not set")
    pool: PgSchemaPool = request.getfixturevalue("pg_pool")
    with pool.store() as store:
        yield store
