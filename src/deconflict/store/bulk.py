"""Rows for several tables written in one statement: one round trip for a creation.

On PostgreSQL every write transaction holds the writers' turn (``writer_lock``,
architecture decision 17) from its first statement to its commit, so each round trip
inside it is time every other writer of the cluster waits. A creation writes its
operation, volumes, cells and F3548 row: four statements, or one when they go as
data-modifying common table expressions, each table's rows as one array per column
spread by ``unnest``::

    WITH w0 AS (INSERT INTO operations (id, ...) SELECT * FROM unnest(CAST(:w0_id AS ...[]), ...)),
         w1 AS (INSERT INTO volumes ...)
    INSERT INTO volume_cells (...) SELECT * FROM unnest(...)

The statement's parts see one snapshot but its foreign keys are checked when it ends,
after every part ran, so children may be written beside their parent. The order of
the parts is not defined: the rows must not depend on each other beyond their keys
(no two parts write one table). Other engines (SQLite, whose statements cost no round
trip; CockroachDB) get one plain insert per table, the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Float, Table, TextClause, insert, text

Rows = Sequence[Mapping[str, Any]]

_STATEMENTS: dict[tuple[tuple[str, tuple[str, ...]], ...], TextClause] = {}


def insert_rows(conn: Connection, writes: Sequence[tuple[Table, Rows]]) -> None:
    """Insert each table's rows (all rows of a table with the same keys)."""
    writes = [(table, rows) for table, rows in writes if rows]
    if not writes:
        return
    for table, rows in writes:
        if any(row.keys() != rows[0].keys() for row in rows):
            raise ValueError(f"rows for {table.name} differ in their columns")
    if conn.dialect.name != "postgresql" or (len(writes) == 1 and len(writes[0][1]) == 1):
        for table, rows in writes:
            conn.execute(insert(table), list(rows))
        return
    shape = tuple((table.name, tuple(rows[0])) for table, rows in writes)
    stmt = _STATEMENTS.get(shape)
    if stmt is None:
        stmt = _STATEMENTS[shape] = _statement(conn, writes)
    params: dict[str, list[Any]] = {}
    for k, (table, rows) in enumerate(writes):
        for name in rows[0]:
            as_float = isinstance(table.c[name].type, Float)
            values = [r[name] for r in rows]
            # One array per column: psycopg wants one element type (an int among floats).
            params[f"w{k}_{name}"] = (
                [None if v is None else float(v) for v in values] if as_float else values
            )
    conn.execute(stmt, params)


def _statement(conn: Connection, writes: Sequence[tuple[Table, Rows]]) -> TextClause:
    parts = []
    for k, (table, rows) in enumerate(writes):
        names = list(rows[0])
        arrays = ", ".join(
            f"CAST(:w{k}_{n} AS {table.c[n].type.compile(dialect=conn.dialect)}[])" for n in names
        )
        columns = ", ".join(names)
        parts.append(f"INSERT INTO {table.name} ({columns}) SELECT * FROM unnest({arrays})")
    *ctes, last = parts
    head = ", ".join(f"w{k} AS ({sql})" for k, sql in enumerate(ctes))
    return text(f"WITH {head} {last}" if ctes else last)
