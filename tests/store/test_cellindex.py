"""The cell index with coverings of mixed levels: what is stored stays within the
budget, and a search finds every row that shares a cell in the hierarchy sense (a huge
footprint's coarse cell and a tiny one's level-13 cell inside it), on every engine."""

from __future__ import annotations

import s2geometry as s2
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from deconflict.geo.covering import CELL_BUDGET, CELL_LEVEL, cell_level, covering, to_signed
from deconflict.geo.footprint import Circle
from deconflict.model.constraint import Constraint, ConstraintType
from deconflict.store import migrations_runner
from deconflict.store.cellindex import search_terms
from deconflict.store.constraints import SqlAirspace
from deconflict.store.integrity import check
from deconflict.store.schema import volume_cells
from deconflict.store.sql import SqlStore
from tests.core.factories import operation, square, volume

HUGE = Circle(10.0, 50.0, 500_000.0)
"""Covered by cells down to level 4 or so: far past the budget at level 13."""

INSIDE = square(10.0, 50.0)
"""A tiny square at HUGE's centre: its level-13 cells lie inside HUGE's coarse ones."""

EDGE = Circle(10.0, 50.0 + 500_000.0 / 111_195.0 + 0.0001, 20.0)
"""A small circle just past HUGE's northern rim, within its grown edge cells."""


def test_a_huge_operation_stores_no_more_cells_than_the_budget(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("huge", volume(HUGE)))
    with store.session() as s:
        n = s.conn.execute(select(func.count()).select_from(volume_cells)).scalar_one()
    assert 0 < n <= CELL_BUDGET


def test_a_tiny_search_finds_the_huge_operation_around_it(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("huge", volume(HUGE)))
    with store.session() as s:
        assert [c.operation.id for c in s.candidates(volume(INSIDE))] == ["huge"]


def test_a_huge_search_finds_the_tiny_operation_inside_it(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("tiny", volume(INSIDE)))
        s.put(operation("far", volume(square(-40.0, -10.0))))
    with store.session() as s:
        assert [c.operation.id for c in s.candidates(volume(HUGE))] == ["tiny"]


def test_two_huge_footprints_find_each_other(store: SqlStore) -> None:
    other = Circle(16.0, 52.0, 300_000.0)
    with store.session(write=True) as s:
        s.put(operation("huge", volume(HUGE)))
    with store.session() as s:
        assert [c.operation.id for c in s.candidates(volume(other))] == ["huge"]


def test_a_constraint_past_the_budget_is_found_by_a_tiny_operation(store: SqlStore) -> None:
    huge = Constraint("nfz", ConstraintType.NO_FLY, "operator", (volume(HUGE),), volume(HUGE).time)
    with store.session(write=True) as s:
        SqlAirspace(s).put_constraint(huge)
    with store.session() as s:
        constraints, _ = SqlAirspace(s).near(volume(EDGE))
    assert [c.id for c in constraints] == ["nfz"]


def test_db_check_accepts_a_budgeted_covering(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("huge", volume(HUGE)))
        s.put(operation("tiny", volume(INSIDE)))
    assert [p for p in check(store) if p.kind == "cells"] == []


def _nested(a: int, b: int) -> bool:
    ca, cb = s2.S2CellId(a & ((1 << 64) - 1)), s2.S2CellId(b & ((1 << 64) - 1))
    return bool(ca.contains(cb) or cb.contains(ca))


@st.composite
def cell_sets(draw: st.DrawFn) -> list[int]:
    """A few cells of levels 0-13 near one another (so nesting happens often)."""
    lat = draw(st.floats(-80.0, 80.0))
    lon = draw(st.floats(-180.0, 180.0))
    leaf = s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lon))
    out = []
    for _ in range(draw(st.integers(1, 6))):
        level = draw(st.integers(0, CELL_LEVEL))
        step = draw(st.integers(-3, 3))
        cell = leaf.parent(level)
        for _ in range(abs(step)):
            cell = cell.next() if step > 0 else cell.prev()
        if cell.is_valid():
            out.append(to_signed(cell.id()))
    return out or [to_signed(leaf.parent(CELL_LEVEL).id())]


@settings(max_examples=300, deadline=None)
@given(cell_sets(), cell_sets())
def test_search_terms_match_exactly_the_nested_cells(
    searched: list[int], stored: list[int]
) -> None:
    listed, ranges = search_terms(searched)
    for row in stored:
        matched = row in listed or any(lo <= row <= hi for lo, hi in ranges)
        assert matched == any(_nested(row, q) for q in searched)


def test_a_level_13_search_lists_cells_and_needs_no_range() -> None:
    cells = covering(INSIDE)
    listed, ranges = search_terms(cells)
    assert ranges == []
    assert set(cells) <= listed
    assert {cell_level(c) for c in listed - set(cells)} <= set(range(CELL_LEVEL))


def _level13_covering(footprint: Circle) -> list[int]:
    """The covering before the budget: every level-13 cell, however many."""
    from deconflict.geo.covering import GROWTH_M, s2_region

    coverer = s2.S2RegionCoverer()
    coverer.set_fixed_level(CELL_LEVEL)
    coverer.set_max_cells(1 << 30)
    return sorted(to_signed(c.id()) for c in coverer.GetCovering(s2_region(footprint, GROWTH_M)))


def test_upgrading_re_indexes_footprints_covered_past_the_budget(store: SqlStore) -> None:
    big = Circle(10.0, 50.0, 70_000.0)  # about 13,000 level-13 cells
    old = _level13_covering(big)
    assert len(old) > CELL_BUDGET
    with store.session(write=True) as s:
        s.put(operation("big", volume(big)))
        s.put(operation("tiny", volume(INSIDE)))
        # As an older version left it: every level-13 cell.
        s.conn.execute(volume_cells.delete().where(volume_cells.c.operation_id == "big"))
        s.conn.execute(
            volume_cells.insert(), [{"cell": c, "operation_id": "big", "idx": 0} for c in old]
        )
    with store.engine.begin() as conn:  # the database as of revision 0010, upgraded
        cfg = migrations_runner.config(conn)
        command.stamp(cfg, "0010")
        command.upgrade(cfg, "0011")
        command.stamp(cfg, "head")
    with store.session() as s:
        rows = s.conn.execute(
            select(volume_cells.c.cell).where(volume_cells.c.operation_id == "big")
        ).scalars()
        assert sorted(rows) == covering(big)
        assert sorted(c.operation.id for c in s.candidates(volume(INSIDE))) == ["big", "tiny"]
    assert [p for p in check(store) if p.kind == "cells"] == []
