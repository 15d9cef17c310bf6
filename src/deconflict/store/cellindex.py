"""The one way to search a cell table: ids whose cells meet a footprint's covering.

Every indexed thing (constraint volumes, zone sectors, DSS subscriptions, intents) is
found the same way: an ``IN`` list of level-13 cells, chunked to stay far below every
engine's bound-parameter limit, joined to the owning rows for the time (and altitude)
filters, then the rows themselves by id, chunked again. The statements are built
once per module with ``cell_search`` (constructing a Core expression costs more than
SQLite takes to run it) and run with ``ids_in_cells``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Row,
    Select,
    Table,
    bindparam,
    select,
)

from deconflict.geo.volume import Volume4D
from deconflict.store.codec import to_us

IN_CHUNK = 2000
"""Values per IN list; far below every engine's bound-parameter limit."""

Bounds = tuple[ColumnElement[Any], ColumnElement[Any]]
"""(lower, upper) columns of a closed interval a search must meet."""


def cell_search(
    cells: Table,
    key: str,
    joins: Sequence[tuple[Table, ColumnElement[bool]]],
    times: Sequence[Bounds],
    altitudes: Sequence[Bounds] = (),
) -> Select[Any]:
    """``SELECT DISTINCT cells.key`` of the rows with a cell in the expanding parameter
    ``cells`` whose every time interval meets [``t0``, ``t1``] and every altitude
    interval meets [``lo``, ``hi``] (all closed, as volumes are)."""
    stmt = select(cells.c[key])
    for table, on in joins:
        stmt = stmt.join(table, on)
    stmt = stmt.where(cells.c.cell.in_(bindparam("cells", expanding=True)))
    for lower, upper in times:
        stmt = stmt.where(lower <= bindparam("t1")).where(upper >= bindparam("t0"))
    for lower, upper in altitudes:
        stmt = stmt.where(lower <= bindparam("hi")).where(upper >= bindparam("lo"))
    return stmt.distinct()


def volume_bounds(volume: Volume4D) -> dict[str, Any]:
    """The time and altitude parameters of a ``cell_search`` for ``volume``."""
    return {
        "t0": to_us(volume.time.start),
        "t1": to_us(volume.time.end),
        "lo": volume.altitude.lower_m,
        "hi": volume.altitude.upper_m,
    }


def chunks(values: Collection[Any]) -> Iterable[list[Any]]:
    """Sorted, so that concurrent writers take index locks in one order."""
    ordered = sorted(values)
    for k in range(0, len(ordered), IN_CHUNK):
        yield ordered[k : k + IN_CHUNK]


def ids_in_cells(
    conn: Connection,
    stmt: Executable,
    cells: Collection[int],
    params: dict[str, Any],
    columns: int = 1,
) -> set[Any]:
    """The first column of ``stmt`` (the first ``columns``, as tuples, when more than
    one) for every chunk of ``cells``; ``stmt`` takes the cells as the expanding
    parameter ``cells`` and the rest from ``params``."""
    found: set[Any] = set()
    for chunk in chunks(cells):
        rows = conn.execute(stmt, {"cells": chunk, **params})
        if columns == 1:
            found.update(r[0] for r in rows)
        else:
            found.update(tuple(r[:columns]) for r in rows)
    return found


_BY_ID: dict[tuple[Table, str], Select[Any]] = {}


def rows_by_id(
    conn: Connection, table: Table, ids: Collection[Any], key: str = "id"
) -> list[Row[Any]]:
    stmt = _BY_ID.get((table, key))
    if stmt is None:
        # Built once per table: constructing the expression cost more than running it.
        stmt = select(table).where(table.c[key].in_(bindparam("ids", expanding=True)))
        _BY_ID[(table, key)] = stmt
    rows: list[Row[Any]] = []
    for chunk in chunks(ids):
        rows.extend(conn.execute(stmt, {"ids": chunk}).all())
    return rows
