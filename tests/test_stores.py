"""The suite's fresh stores (``tests/stores.py``) are what a fresh migration gives.

Each test gets a copy of one migration per worker instead of migrating itself; these
tests check that the copy cannot carry anything from one test into the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from deconflict.store.sql import SqlSession, SqlStore, open_store
from tests.conftest import PG_URL
from tests.stores import PgSchemaPool, SqliteTemplate, plain_url

needs_pg = pytest.mark.skipif(PG_URL is None, reason="DECONFLICT_TEST_DATABASE_URL is not set")


def contents(store: SqlStore) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows but the OVN secret's value (drawn per store), and every
    sequence's next value: the whole state a test could see."""

    def read(s: SqlSession) -> dict[str, list[tuple[object, ...]]]:
        conn = s.conn
        names = store.engine.dialect.get_table_names(conn)
        out: dict[str, list[tuple[object, ...]]] = {}
        for name in sorted(names):
            columns = "name" if name == "service_secrets" else "*"
            rows = conn.execute(text(f'SELECT {columns} FROM "{name}"')).all()
            out[name] = sorted(tuple(r) for r in rows)
        return out

    return store.run(read, write=False)


def secret(store: SqlStore) -> bytes:
    return bytes(
        store.run(
            lambda s: s.conn.execute(text("SELECT secret FROM service_secrets")).scalar_one(),
            write=False,
        )
    )


def scribble(store: SqlStore) -> None:
    """Rows in several tables, the kind any test leaves behind."""

    def write(s: SqlSession) -> None:
        conn = s.conn
        conn.execute(
            text(
                "INSERT INTO party_grants (party, priority_min, priority_max, off_nominal,"
                " updated_us, updated_by) VALUES ('x', 0, 3, false, 1, 'test')"
            )
        )
        conn.execute(text("DELETE FROM service_secrets"))

    store.run(write)


@pytest.fixture
def fresh(tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """What a store migrated from nothing holds (SQLite: the same tables and seed rows)."""
    store = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        return contents(store)
    finally:
        store.close()


def test_a_sqlite_copy_holds_what_a_fresh_migration_holds_with_its_own_secret(
    tmp_path: Path, fresh: dict[str, list[tuple[object, ...]]]
) -> None:
    template = SqliteTemplate(tmp_path / "template")
    stores = [open_store(f"sqlite:///{template.copy(tmp_path / f'{n}.db')}") for n in range(2)]
    try:
        scribble(stores[0])
        assert contents(stores[1]) == fresh
        stores.append(open_store(f"sqlite:///{template.path}"))
        assert secret(stores[1]) != secret(stores[2])
    finally:
        for s in stores:
            s.close()


@pytest.fixture
def pool() -> Iterator[PgSchemaPool]:
    assert PG_URL is not None
    p = PgSchemaPool(PG_URL)
    yield p
    p.close()


def schemas(pool: PgSchemaPool) -> set[str]:
    """The pool's schemas (and their seeds) that exist on the server."""
    return schemas_named({s.name for s in pool.all} | {s.seed for s in pool.all})


def schemas_named(names: set[str]) -> set[str]:
    assert PG_URL is not None
    with psycopg.connect(plain_url(PG_URL)) as conn:
        found = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (list(names),)
        )
        return {r[0] for r in found}


@needs_pg
def test_a_lent_pg_schema_comes_back_as_migrated(
    pool: PgSchemaPool, fresh: dict[str, list[tuple[object, ...]]]
) -> None:
    with pool.store() as first:
        migrated = contents(first)
        used_secret = secret(first)
        scribble(first)
        first.run(lambda s: s.conn.execute(text("SELECT nextval('audit_pending_id_seq')")))
        assert contents(first) != migrated
    with pool.store() as second:
        assert len(pool.all) == 1  # the same schema, lent again
        assert contents(second) == migrated
        assert set(migrated) == set(fresh)
        assert secret(second) != used_secret
        assert (
            second.run(
                lambda s: s.conn.execute(
                    text("SELECT nextval('audit_pending_id_seq')")
                ).scalar_one()
            )
            == 1
        )


@needs_pg
def test_a_schema_whose_ddl_a_test_changed_is_replaced_by_a_newly_migrated_one(
    pool: PgSchemaPool,
) -> None:
    with pool.store() as first:
        migrated = contents(first)
        first.run(lambda s: s.conn.execute(text("ALTER TABLE party_grants ADD COLUMN extra int")))
    changed = {pool.all[0].name, pool.all[0].seed}
    with pool.store() as second:
        assert [s.name for s in pool.all] != [min(changed, key=len)]
        assert contents(second) == migrated
    assert schemas_named(changed) == set()


@needs_pg
def test_two_stores_at_once_are_two_schemas_and_all_are_dropped_at_the_end(
    pool: PgSchemaPool,
) -> None:
    with pool.store() as a, pool.store() as b:
        scribble(a)
        assert contents(a) != contents(b)
    made = schemas(pool)
    assert len(made) == 4  # two schemas and their seeds
    pool.close()
    assert schemas_named(made) == set()
