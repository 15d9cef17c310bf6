"""The planning paths agree on which volumes conflict, for the same random plan (issue 16).

Three paths, none trusting another:

- ``deconflict check`` through its real entry (the command, reading the plan file): the
  batch checker's grid, caps, boxes and worker code;
- the strategic engine planning the operations one by one on a SQLite store, with
  equal priorities under ``allow_with_notice``, its notices collected: the cell index,
  the candidate search and the judged overlaps;
- a brute force written here: every pair of volumes of different operations, the exact
  test of ``geo`` alone, no index, no pre-filter.

The engine is the core ``StrategicEngine``, below the API and its request limits, so
shapes up to 1,000 km take part on every path.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.core.engine import StrategicEngine
from deconflict.geo.overlap import volumes_conflict
from deconflict.io.plan import operation_features
from deconflict.model.operation import Operation
from deconflict.settings import EqualPriorityPolicy
from deconflict.store.sql import SqlStore, open_store
from tests.core.hard_plans import CONTINENTAL_SCALES_M, hard_plans

VolumePair = tuple[tuple[str, int], tuple[str, int]]
runner = CliRunner()


def pair(a: str, i: int, b: str, j: int) -> VolumePair:
    return ((a, i), (b, j)) if (a, i) < (b, j) else ((b, j), (a, i))


def brute_force(ops: list[Operation]) -> set[VolumePair]:
    return {
        pair(a.id, i, b.id, j)
        for a, b in itertools.combinations(ops, 2)
        for (i, x), (j, y) in itertools.product(enumerate(a.volumes), enumerate(b.volumes))
        if volumes_conflict(x, y)
    }


def by_check_command(ops: list[Operation], path: Path) -> set[VolumePair]:
    features = [f for op in ops for f in operation_features(op)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert result.exit_code == (1 if report["conflicts"] else 0)
    return {
        pair(c["a"], o["volume_a"], c["b"], o["volume_b"])
        for c in report["conflicts"]
        for o in c["overlaps"]
    }


def by_engine(ops: list[Operation], engine: StrategicEngine) -> set[VolumePair]:
    found = set()
    for op in ops:
        decision = engine.submit(op)
        assert decision.accepted, "equal priorities under allow_with_notice never block"
        for c in decision.notices:
            found |= {pair(c.a.id, o.a_index, c.b.id, o.b_index) for o in c.overlaps}
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    """One store for every example: each plan has its own ids and its own month."""
    s = open_store(f"sqlite:///{tmp_path_factory.mktemp('paths') / 'plans.db'}")
    yield s
    s.close()


_slots = itertools.count(1)


@st.composite
def numbered_plans(draw: st.DrawFn, **shape: Any) -> list[Operation]:
    slot = next(_slots)
    return draw(hard_plans(slot=slot, prefix=f"p{slot}-", **shape))


def all_paths_agree(ops: list[Operation], store: SqlStore, tmp_path: Path) -> None:
    expected = brute_force(ops)
    assert by_check_command(ops, tmp_path / "plan.geojson") == expected
    engine = StrategicEngine(store, EqualPriorityPolicy.ALLOW_WITH_NOTICE)
    assert by_engine(ops, engine) == expected


def lenient(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@lenient(40)
@given(ops=numbered_plans())
def test_the_paths_agree_on_plans_of_shapes_from_ten_centimetres_to_thirty_kilometres(
    ops: list[Operation], store: SqlStore, tmp_path: Path
) -> None:
    all_paths_agree(ops, store, tmp_path)


@lenient(8)
@given(ops=numbered_plans(scales=CONTINENTAL_SCALES_M, operations=(2, 4), volumes=1))
def test_the_paths_agree_on_plans_of_shapes_from_ten_to_a_thousand_kilometres(
    ops: list[Operation], store: SqlStore, tmp_path: Path
) -> None:
    all_paths_agree(ops, store, tmp_path)
