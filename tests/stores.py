"""Fresh, fully migrated stores for tests, without running the migrations for each test.

Running every alembic migration costs a PostgreSQL test a second or more of DDL (and a
SQLite test a few fsyncs); about 1,800 tests ask for a fresh store. So each xdist
worker migrates once, the production way (``open_store`` on an empty database), and
hands out copies of that state:

- SQLite: the migrated file, copied (``SqliteTemplate``).
- PostgreSQL: a migrated schema of the worker's, lent to one test at a time and put
  back, before the next test gets it, into the state the migrations left: every row
  deleted, the rows the migrations wrote put back, sequences restarted
  (``PgSchemaPool``). A test that changed the schema itself (a catalog fingerprint
  differs from the one taken after migrating) gets the schema dropped and migrated
  again, so no test ever sees another's tables, rows or DDL.

Both give each test the database a fresh ``open_store`` would, except the one random
value a migration writes (``service_secrets``, the native OVN secret): it is drawn again
for every test, as a fresh migration would.

Tests about migrating itself open empty databases of their own (``database_url``,
``pg_schema``) and keep running the migrations.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from deconflict.store.sql import SqlStore, open_store

FRESH_SECRETS = {"service_secrets": ("secret", 32)}
"""Random values the migrations write (table: column, bytes), drawn again per test."""

RESET_LOCK_TIMEOUT = "10s"
"""A reset that waits longer on a lock (a connection a test left open) gives up on the
schema: the test after it gets a newly migrated one instead."""

DROP_LOCK_TIMEOUT = "60s"
"""Dropping a schema a connection still holds a lock in fails the run after this long
rather than hanging it."""


def plain_url(url: str) -> str:
    """A libpq URL (psycopg.connect does not know SQLAlchemy's ``+psycopg``)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def schema_url(url: str, schema: str) -> str:
    """``url`` (SQLAlchemy form) with its search_path set to ``schema``."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def worker_tag() -> str:
    """Unique to this worker process, even across concurrent runs on one server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{worker}_{os.getpid()}_{uuid.uuid4().hex[:6]}"


class SqliteTemplate:
    """A SQLite database migrated once; ``copy`` puts a fresh copy of it at a path."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "migrated.db"
        open_store(f"sqlite:///{self.path}").close()
        # Closing checkpoints the WAL into the file: the file alone is the database.
        assert not self.path.with_name(self.path.name + "-wal").exists()

    def copy(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, path)
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA synchronous = OFF")
            for table, (column, size) in FRESH_SECRETS.items():
                conn.execute(f'UPDATE "{table}" SET "{column}" = ?', (os.urandom(size),))
        conn.close()
        return path


_FINGERPRINT = """
WITH objects AS MATERIALIZED (
  SELECT classid, objid FROM pg_depend
  WHERE refclassid = 'pg_namespace'::regclass AND refobjid = %(ns)s::regnamespace
), rels AS MATERIALIZED (
  SELECT c.oid, c.xmin FROM pg_class c
  JOIN objects o ON o.classid = 'pg_class'::regclass AND o.objid = c.oid
)
SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
  SELECT 'object ' || classid || ' ' || objid AS item FROM objects
  UNION ALL
  SELECT 'class ' || oid || ' ' || xmin FROM rels
  UNION ALL
  SELECT 'att ' || a.attrelid || '.' || a.attnum || ' ' || a.xmin
  FROM pg_attribute a JOIN rels ON a.attrelid = rels.oid
  UNION ALL
  SELECT 'def ' || d.oid || ' ' || d.xmin FROM pg_attrdef d JOIN rels ON d.adrelid = rels.oid
  UNION ALL
  SELECT 'con ' || k.oid || ' ' || k.xmin FROM pg_constraint k JOIN rels ON k.conrelid = rels.oid
  UNION ALL
  SELECT 'idx ' || i.indexrelid || ' ' || i.xmin || ' ' || ic.xmin
  FROM pg_index i JOIN rels ON i.indrelid = rels.oid JOIN pg_class ic ON ic.oid = i.indexrelid
  UNION ALL
  SELECT 'trg ' || t.oid || ' ' || t.xmin FROM pg_trigger t JOIN rels ON t.tgrelid = rels.oid
  UNION ALL
  SELECT 'seq ' || s.seqrelid || ' ' || s.xmin FROM pg_sequence s JOIN rels ON s.seqrelid = rels.oid
  UNION ALL
  SELECT 'rule ' || r.oid || ' ' || r.xmin FROM pg_rewrite r JOIN rels ON r.ev_class = rels.oid
  UNION ALL
  SELECT 'pol ' || p.oid || ' ' || p.xmin FROM pg_policy p JOIN rels ON p.polrelid = rels.oid
  UNION ALL
  SELECT 'fn ' || p.oid || ' ' || p.xmin
  FROM pg_proc p JOIN objects o ON o.classid = 'pg_proc'::regclass AND o.objid = p.oid
  UNION ALL
  SELECT 'type ' || t.oid || ' ' || t.xmin
  FROM pg_type t JOIN objects o ON o.classid = 'pg_type'::regclass AND o.objid = t.oid
) items
"""
"""The schema's DDL as catalog rows and the transactions that last wrote them: any DDL
(a table, column, default, constraint, index, trigger, sequence, view, policy, function
or type made, changed or dropped) adds, removes or rewrites one of these rows. Equal
fingerprints: no test changed what the migrations made. (Statistics that VACUUM and
ANALYZE keep are updated in place and change nothing here.) The schema's objects are
found through their dependencies on it (an index scan): the shared server's pg_class is
large, and scanning it per test costs tens of milliseconds."""


class PgSchema:
    """One migrated schema on the server, and the state the migrations left in it."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self.seed = f"{name}_seed"
        self.admin = psycopg.connect(plain_url(url), autocommit=True)
        try:
            self.admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
            open_store(schema_url(url, name)).close()
            self.fingerprint = self._fingerprint()
            self.reset_sql = self._snapshot()
        except BaseException:
            self.drop()
            raise
        self.dirty = False

    @property
    def store_url(self) -> str:
        return schema_url(self.url, self.name)

    def _fingerprint(self) -> str:
        row = self.admin.execute(_FINGERPRINT, {"ns": self.name}).fetchone()
        assert row is not None
        version = self.admin.execute(
            sql.SQL("SELECT string_agg(version_num, ',') FROM {}.alembic_version").format(
                sql.Identifier(self.name)
            )
        ).fetchone()
        assert version is not None
        return f"{row[0]} {version[0]}"

    def _snapshot(self) -> sql.Composed:
        """The statements that bring the schema back to its migrated state: the rows
        the migrations wrote are kept in a seed schema beside it."""
        ns = sql.Identifier(self.name)
        seed = sql.Identifier(self.seed)
        tables = [
            r[0]
            for r in self.admin.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s"
                " AND tablename <> 'alembic_version' ORDER BY tablename",
                (self.name,),
            )
        ]
        self.admin.execute(sql.SQL("CREATE SCHEMA {}").format(seed))
        statements: list[sql.Composable] = [
            # No foreign-key or other triggers while the whole schema is emptied and
            # refilled (the end state is the migrated one, consistent by construction).
            sql.SQL("SET LOCAL session_replication_role = replica"),
            sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(RESET_LOCK_TIMEOUT)),
        ]
        statements += [sql.SQL("DELETE FROM {}.{}").format(ns, sql.Identifier(t)) for t in tables]
        for table in tables:
            t = sql.Identifier(table)
            count = self.admin.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(ns, t))
            row = count.fetchone()
            if row is None or row[0] == 0:
                continue
            self.admin.execute(sql.SQL("CREATE TABLE {}.{} AS TABLE {}.{}").format(seed, t, ns, t))
            statements.append(
                sql.SQL("INSERT INTO {}.{} SELECT * FROM {}.{}").format(ns, t, seed, t)
            )
        sequences = self.admin.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (self.name,)
        ).fetchall()
        for (sequence,) in sequences:
            qualified = f'"{self.name}"."{sequence}"'
            value = self.admin.execute(
                sql.SQL("SELECT last_value, is_called FROM {}.{}").format(
                    ns, sql.Identifier(sequence)
                )
            ).fetchone()
            assert value is not None
            statements.append(
                sql.SQL("SELECT setval({}, {}, {})").format(
                    sql.Literal(qualified), sql.Literal(value[0]), sql.Literal(value[1])
                )
            )
        return sql.SQL("; ").join(statements)

    def reset(self) -> bool:
        """Back to the migrated state; False when that is not possible (the DDL was
        changed, a lock held, or the role may not set ``session_replication_role``,
        which takes a superuser as CI's ``postgres`` is): the schema must then be given
        up, and the next test gets a newly migrated one."""
        try:
            if self._fingerprint() != self.fingerprint:
                return False
            secrets = [
                sql.SQL("UPDATE {}.{} SET {} = {}").format(
                    sql.Identifier(self.name),
                    sql.Identifier(table),
                    sql.Identifier(column),
                    sql.Literal(os.urandom(size)),
                )
                for table, (column, size) in FRESH_SECRETS.items()
            ]
            with self.admin.transaction():
                self.admin.execute(sql.SQL("; ").join([self.reset_sql, *secrets]))
        except psycopg.Error:
            return False
        return True

    def drop(self) -> None:
        try:
            self.admin.execute(f"SET lock_timeout = '{DROP_LOCK_TIMEOUT}'")
            for schema in (self.name, self.seed):
                self.admin.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )
        finally:
            self.admin.close()


class PgSchemaPool:
    """The worker's migrated schemas: one per store a test holds at once (usually one),
    each reset between tests; dropped when the session ends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.free: list[PgSchema] = []
        self.all: list[PgSchema] = []

    def _new(self) -> PgSchema:
        schema = PgSchema(self.url, f"deconflict_t_{worker_tag()}")
        self.all.append(schema)
        return schema

    @contextmanager
    def schema(self) -> Iterator[PgSchema]:
        """A migrated schema of the caller's alone until the context ends."""
        schema = self.free.pop() if self.free else self._new()
        if schema.dirty and not schema.reset():
            self.all.remove(schema)
            schema.drop()
            schema = self._new()
        schema.dirty = True
        try:
            yield schema
        finally:
            self.free.append(schema)

    @contextmanager
    def store(self) -> Iterator[SqlStore]:
        """``open_store`` on a migrated schema of the caller's, closed afterwards."""
        with self.schema() as schema:
            store = open_store(schema.store_url)
            try:
                yield store
            finally:
                store.close()

    def close(self) -> None:
        for schema in self.all:
            schema.drop()
        self.all.clear()
        self.free.clear()
