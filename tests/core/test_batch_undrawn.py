"""Overlaps computed without their drawing (``draw=False``, for the check's table) have
the same pairs, volumes, windows, bands and areas as drawn ones, and no report that
shows geometry can be written from them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from deconflict.core.batch import PlanPool, check_columns
from deconflict.core.report import where_and_when
from deconflict.errors import InternalError
from deconflict.model.columns import PlanColumns
from deconflict.model.operation import Operation

from .factories import crowd, operation, square, volume
from .test_batch import plans


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_undrawn_overlaps_are_the_drawn_ones_without_their_geometry(ops: list[Operation]) -> None:
    drawn = check_columns(PlanColumns.of(ops))
    undrawn = check_columns(PlanColumns.of(ops), draw=False)
    assert [c.to_json(geometry=False) for c in undrawn.conflicts] == [
        c.to_json(geometry=False) for c in drawn.conflicts
    ]
    for c in drawn.conflicts:
        assert all(o.overlap.geometry for o in c.overlaps)


def test_workers_leave_the_drawing_out_too_and_agree_on_the_rest() -> None:
    ops = crowd()
    drawn = check_columns(PlanColumns.of(ops))
    with PlanPool(2) as pool:
        undrawn = check_columns(PlanColumns.of(ops), pool=pool, draw=False)
    assert [c.to_json(geometry=False) for c in undrawn.conflicts] == [
        c.to_json(geometry=False) for c in drawn.conflicts
    ]
    assert all(not o.overlap.geometry for c in undrawn.conflicts for o in c.overlaps)


def test_an_undrawn_overlap_cannot_go_out_in_a_form_that_shows_geometry() -> None:
    a = operation("a", volume(square(0, 0)))
    b = operation("b", volume(square(0.005, 0.005)), party="beta")
    [conflict] = check_columns(PlanColumns.of([a, b]), draw=False).conflicts
    with pytest.raises(InternalError, match="without its drawing"):
        conflict.to_json()
    with pytest.raises(InternalError):
        where_and_when(conflict.overlaps[0].overlap)
    assert where_and_when(conflict.overlaps[0].overlap, geometry=False)["area_m2"] > 0
