"""The one way to search a cell table: ids whose cells meet a footprint's covering.

Every indexed thing (constraint volumes, zone sectors, DSS subscriptions, intents) is
found the same way: an ``IN`` list of level-13 cells, chunked to stay far below every
engine's bound-parameter limit, joined to the owning rows for the time (and altitude)
filters, then the rows themselves by id, chunked again. The statements are built once
by their modules (constructing a Core expression costs more than SQLite takes to run
it); this module only runs them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, Executable, Row, Table, select

from deconflict.store.sql import IN_CHUNK


def chunks(values: Collection[Any]) -> Iterable[list[Any]]:
    """Sorted, so that concurrent writers take index locks in one order."""
    ordered = sorted(values)
    for k in range(0, len(ordered), IN_CHUNK):
        yield ordered[k : k + IN_CHUNK]


def ids_in_cells(
    conn: Connection, stmt: Executable, cells: Collection[int], params: dict[str, Any]
) -> set[Any]:
    """The first column of ``stmt`` for every chunk of ``cells``; ``stmt`` takes the
    cells as the expanding parameter ``cells`` and the rest from ``params``."""
    found: set[Any] = set()
    for chunk in chunks(cells):
        found.update(r[0] for r in conn.execute(stmt, {"cells": chunk, **params}))
    return found


def rows_by_id(
    conn: Connection, table: Table, ids: Collection[Any], key: str = "id"
) -> list[Row[Any]]:
    column = table.c[key]
    rows: list[Row[Any]] = []
    for chunk in chunks(ids):
        rows.extend(conn.execute(select(table).where(column.in_(chunk))).all())
    return rows
