"""Whole-plan checks: the grid broad phase never loses a pair the brute force finds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.core import batch
from deconflict.core.batch import (
    OVERLAPS_IN_WORKERS,
    PlanPool,
    VolumeTable,
    candidate_pairs,
    check_columns,
    check_plan,
)
from deconflict.geo.earth import destination
from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.overlap import volumes_conflict
from deconflict.io.plan_columns import read_plan_columns
from deconflict.model.columns import PlanColumns
from deconflict.model.operation import Operation, OperationState
from deconflict.settings import EqualPriorityPolicy
from deconflict.synth import generate_plan

from ..geo.strategies import star_polygon
from .factories import crowd, operation, square, volume

PLACES = st.sampled_from(
    [(0.0, 0.0), (179.999, 10.0), (-179.999, -10.0), (45.0, 89.99), (8.7, 50.1)]
)


@st.composite
def plans(draw: st.DrawFn) -> list[Operation]:
    """Operations crowded around one place, so that some overlap and some nearly do."""
    base_lon, base_lat = draw(PLACES)
    scale = draw(st.sampled_from([30.0, 300.0, 3000.0]))
    ops = []
    for k in range(draw(st.integers(2, 14))):
        vols = []
        for _ in range(draw(st.integers(1, 3))):
            lon, lat = destination(
                base_lon, base_lat, draw(st.floats(0, 2 * math.pi)), draw(st.floats(0, 3 * scale))
            )
            size = scale * draw(st.floats(0.05, 1.0))
            fp: Polygon | Circle = (
                Circle(lon, lat, size)
                if draw(st.booleans())
                else draw(star_polygon(lon, lat, size))
            )
            lo = draw(st.sampled_from([0.0, 50.0, 100.0]))
            t0 = draw(st.sampled_from([0.0, 300.0, 600.0, 6000.0]))
            vols.append(
                volume(fp, lo, lo + 50.0, t0, t0 + draw(st.sampled_from([0.0, 300.0, 900.0])))
            )
        ops.append(operation(f"op{k:02d}", *vols, party=f"p{k % 3}"))
    return ops


def brute_force(ops: list[Operation]) -> set[tuple[str, str]]:
    found = set()
    for i, a in enumerate(ops):
        for b in ops[i + 1 :]:
            if any(volumes_conflict(x, y) for x in a.volumes for y in b.volumes):
                found.add((min(a.id, b.id), max(a.id, b.id)))
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_batch_finds_exactly_the_pairs_brute_force_finds(ops: list[Operation]) -> None:
    report = check_plan(ops)
    assert {(min(c.a.id, c.b.id), max(c.a.id, c.b.id)) for c in report.conflicts} == brute_force(
        ops
    )


def test_each_conflict_names_the_overlapping_volumes() -> None:
    a = operation("a", volume(square(0, 0)), volume(square(1, 1)))
    b = operation("b", volume(square(5, 5)), volume(square(1.005, 1.005)), party="beta")
    [conflict] = check_plan([a, b]).conflicts
    assert [(o.a_index, o.b_index) for o in conflict.overlaps] == [(1, 1)]


def test_volumes_of_one_operation_never_conflict_with_each_other() -> None:
    a = operation("a", volume(square(0, 0)), volume(square(0, 0)))
    assert check_plan([a]).conflicts == []


def test_ended_operations_take_no_part() -> None:
    a = operation("a", volume(square(0, 0)))
    b = operation("b", volume(square(0, 0)), state=OperationState.ENDED)
    assert check_plan([a, b]).conflicts == []


def test_a_continent_sized_volume_still_meets_small_ones() -> None:
    big = operation(
        "big", volume(Polygon(((-10.0, 35.0), (30.0, 35.0), (30.0, 60.0), (-10.0, 60.0))))
    )
    small = [operation(f"s{i}", volume(Circle(10.0 + i * 0.01, 50.0, 50.0))) for i in range(5)]
    far = operation("far", volume(Circle(100.0, 0.0, 50.0)))
    report = check_plan([big, *small, far])
    assert {c.b.id if c.a.id == "big" else c.a.id for c in report.conflicts} == {
        f"s{i}" for i in range(5)
    }


def test_policy_decides_the_verdict_of_equal_priority_pairs() -> None:
    a = operation("a", volume(square(0, 0)))
    b = operation("b", volume(square(0, 0)), party="beta")
    assert check_plan([a, b]).conflicts[0].verdict.value == "blocking"
    allow = EqualPriorityPolicy.ALLOW_WITH_NOTICE
    assert check_plan([a, b], allow).conflicts[0].verdict.value == "notice"


def test_worker_processes_report_the_same_overlaps_as_this_process() -> None:
    # 30 squares all overlapping each other: 435 pairs, enough to go to the workers.
    ops = crowd()
    alone = check_columns(PlanColumns.of(ops))
    with PlanPool(2) as pool:
        spread = check_columns(PlanColumns.of(ops), pool=pool)
    assert len(spread.conflicts) >= OVERLAPS_IN_WORKERS
    assert [c.to_json() for c in spread.conflicts] == [c.to_json() for c in alone.conflicts]


def generated_table(operations: int, seed: int) -> tuple[PlanColumns, VolumeTable]:
    cols = read_plan_columns(generate_plan(operations, seed=seed))
    return cols, VolumeTable.of(cols, np.arange(len(cols)))


def test_grid_slices_find_the_pairs_of_the_whole_grid() -> None:
    _, table = generated_table(2000, seed=8)
    whole = candidate_pairs(table)
    assert len(whole[0]) >= 5, "the plan should give candidates to compare"
    for parts in (2, 5, 13):
        sliced = candidate_pairs(table, parts=parts)
        assert np.array_equal(sliced[0], whole[0]) and np.array_equal(sliced[1], whole[1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.integers(2, 6))
def test_grid_slices_find_the_pairs_of_the_whole_grid_in_crowded_plans(
    ops: list[Operation], parts: int
) -> None:
    cols = PlanColumns.of(ops)
    table = VolumeTable.of(cols, np.arange(len(cols)))
    whole, sliced = candidate_pairs(table), candidate_pairs(table, parts=parts)
    assert np.array_equal(whole[0], sliced[0]) and np.array_equal(whole[1], sliced[1])


def test_workers_searching_the_grid_find_the_pairs_found_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cols, table = generated_table(2000, seed=8)
    whole = candidate_pairs(table)
    monkeypatch.setattr(batch, "PARALLEL_PAIRS_FROM", 0)
    with PlanPool(2) as pool:
        spread = pool.candidate_pairs(cols, table)
        assert pool._executor is not None, "the workers should have searched the grid"
    assert np.array_equal(spread[0], whole[0]) and np.array_equal(spread[1], whole[1])
