"""The one way to search a cell table: ids whose cells meet a footprint's covering.

Every indexed thing (operations, constraint volumes, zone sectors, DSS subscriptions,
intents) is found the same way: the cells of the search's covering, matched in the
hierarchy sense (``geo.covering.shares_cell``), joined to the owning rows for the time
(and altitude) filters, then the rows themselves by id. A covering holds level-13
cells, or coarser ones where the cell budget demanded them, so a stored cell matches a
searched cell when it is the same cell, one of its ancestors, or one of its
descendants:

- the searched level-13 cells and every strict ancestor of every searched cell go in an
  ``IN`` list (``listed``), chunked to stay far below every engine's bound-parameter
  limit; for level-13 searches, nearly all of them, that is the whole search;
- a searched coarser cell also matches its stored descendants, whose ids form one
  contiguous range (S2 numbers cells along a Hilbert curve): those ranges, merged where
  they touch, go in ``BETWEEN`` terms, ``RANGE_CHUNK`` per statement (``ranged``).

Nothing is stored beyond each covering's own cells, so writes cost what they did, and a
database of level-13 rows needs no rewrite. The statements are built once per module
with ``cell_search`` (constructing a Core expression costs more than SQLite takes to run
it) and run with ``ids_in_cells``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Connection,
    Row,
    Select,
    Table,
    bindparam,
    select,
    union_all,
)
from sqlalchemy.sql.util import ClauseAdapter

from deconflict.geo.covering import CELL_LEVEL, ancestors, cell_level, descendant_range
from deconflict.geo.volume import Volume4D
from deconflict.store.codec import to_us

IN_CHUNK = 2000
"""Values per IN list; far below every engine's bound-parameter limit."""

RANGE_CHUNK = 32
"""``BETWEEN`` terms per ranged statement; a short statement is padded with its last
range (harmless: the search is DISTINCT)."""

Bounds = tuple[ColumnElement[Any], ColumnElement[Any]]
"""(lower, upper) columns of a closed interval a search must meet."""

Statement = Select[Any] | CompoundSelect[Any]


@dataclass(frozen=True)
class CellSearch:
    """One search, as its two statements: ``listed`` takes the expanding parameter
    ``cells``; ``ranged`` takes ``lo0``..``hi{RANGE_CHUNK-1}``. Both take the rest
    (times, altitudes) alike."""

    listed: Statement
    ranged: Statement

    def map(self, change: Callable[[Any], Statement]) -> CellSearch:
        """The same change (a filter, a column) applied to both statements."""
        return CellSearch(change(self.listed), change(self.ranged))

    def where(self, *clauses: ColumnElement[bool]) -> CellSearch:
        return self.map(lambda s: s.where(*clauses))


def union_searches(*searches: CellSearch) -> CellSearch:
    """``UNION ALL`` of several searches (one round trip for several cell tables)."""
    return CellSearch(
        union_all(*(s.listed for s in searches)), union_all(*(s.ranged for s in searches))
    )


def cell_search(
    cells: Table,
    key: str,
    joins: Sequence[tuple[Table, ColumnElement[bool]]],
    times: Sequence[Bounds],
    altitudes: Sequence[Bounds] = (),
) -> CellSearch:
    """``SELECT DISTINCT cells.key`` of the rows with a cell matching the search (see
    the module) whose every time interval meets [``t0``, ``t1``] and every altitude
    interval meets [``lo``, ``hi``] (all closed, as volumes are)."""
    # The ranges are a derived table joined on BETWEEN: each engine then walks the cell
    # index once per range (an OR of BETWEENs got SQLite to scan the whole table).
    spans = union_all(
        *(
            select(
                bindparam(f"lo{i}", type_=BigInteger).label("lo"),
                bindparam(f"hi{i}", type_=BigInteger).label("hi"),
            )
            for i in range(RANGE_CHUNK)
        )
    ).subquery("spans")
    # The cells in the ranges are found first, on their own (a MATERIALIZED common table
    # expression, which both engines honour): joined in one statement with the owning
    # rows, PostgreSQL on a young table without statistics started from the owners and
    # compared every cell of a huge ragged intent with every range (1.2 s a statement,
    # measured), where the cell index answers in milliseconds.
    hits = (
        select(cells)
        .select_from(spans.join(cells, cells.c.cell.between(spans.c.lo, spans.c.hi)))
        .cte(f"{cells.name}_in_ranges")
        .prefix_with("MATERIALIZED")
    )
    to_hits = ClauseAdapter(hits)
    listed = select(cells.c[key]).where(cells.c.cell.in_(bindparam("cells", expanding=True)))
    ranged = select(hits.c[key])
    searches = []
    for stmt, adapt in ((listed, _as_is), (ranged, to_hits.traverse)):
        for table, on in joins:
            stmt = stmt.join(table, adapt(on))
        for lower, upper in times:
            stmt = stmt.where(adapt(lower) <= bindparam("t1")).where(
                adapt(upper) >= bindparam("t0")
            )
        for lower, upper in altitudes:
            stmt = stmt.where(adapt(lower) <= bindparam("hi")).where(
                adapt(upper) >= bindparam("lo")
            )
        searches.append(stmt.distinct())
    return CellSearch(*searches)


def _as_is(clause: ColumnElement[Any]) -> ColumnElement[Any]:
    return clause


def search_terms(cells: Collection[int]) -> tuple[set[int], list[tuple[int, int]]]:
    """What a search for ``cells`` (one covering, or the union of several) looks up:
    the cells to list (its level-13 cells and every cell's strict ancestors) and the
    ranges of its coarser cells' descendants (themselves included), merged where they
    touch. A stored cell shares a cell with ``cells`` exactly when it is listed or in a
    range."""
    listed = ancestors(cells)
    ranges: list[tuple[int, int]] = []
    for c in cells:
        if cell_level(c) == CELL_LEVEL:
            listed.add(c)
        else:
            ranges.append(descendant_range(c))
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 2:  # leaf ids are odd: +2 is the next leaf
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return listed, merged


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


def _range_params(ranges: list[tuple[int, int]]) -> Iterable[dict[str, int]]:
    for k in range(0, len(ranges), RANGE_CHUNK):
        part = ranges[k : k + RANGE_CHUNK]
        part += [part[-1]] * (RANGE_CHUNK - len(part))
        params: dict[str, int] = {}
        for i, (lo, hi) in enumerate(part):
            params[f"lo{i}"] = lo
            params[f"hi{i}"] = hi
        yield params


def ids_in_cells(
    conn: Connection,
    search: CellSearch,
    cells: Collection[int],
    params: dict[str, Any],
    columns: int = 1,
) -> set[Any]:
    """The first column of ``search`` (the first ``columns``, as tuples, when more than
    one) for the rows sharing a cell with ``cells`` (a covering, or a union of them);
    the rest of the parameters come from ``params``."""
    listed, ranges = search_terms(cells)
    found: set[Any] = set()

    def take(rows: Iterable[Row[Any]]) -> None:
        if columns == 1:
            found.update(r[0] for r in rows)
        else:
            found.update(tuple(r[:columns]) for r in rows)

    for chunk in chunks(listed):
        take(conn.execute(search.listed, {"cells": chunk, **params}))
    for bounds in _range_params(ranges):
        take(conn.execute(search.ranged, {**bounds, **params}))
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
