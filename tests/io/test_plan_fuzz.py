"""Fuzzing the plan parsers through ``deconflict check`` (issue 16): whatever the file
holds, the command exits 0, 1 or 2, never 3 (our failure) nor a crash; an exit 2 says
"invalid plan" and, for a feature, names it by index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deconflict.cli.main import app
from tests.fuzz_values import (
    MISSING,
    PLACES,
    maybe,
    numbers,
    positions,
    rings,
    times,
    without_missing,
    wrong_kinds,
)

runner = CliRunner()


@st.composite
def geometries(draw: st.DrawFn) -> Any:
    near = draw(st.sampled_from(PLACES))
    kind = draw(maybe(st.sampled_from(["Polygon", "Point"]), st.just("LineString")))
    if kind == "Point":
        coords = draw(maybe(positions(near), st.lists(numbers, max_size=3)))
    else:
        coords = draw(maybe(st.lists(rings(near), min_size=1, max_size=1), wrong_kinds))
    return without_missing({"type": kind, "coordinates": coords})


PROPERTIES: dict[str, tuple[Any, Any]] = {
    "operation": (st.sampled_from(["a", "b", "c", 7, "[/d]"]), wrong_kinds),
    "party": (st.sampled_from(["x", "y"]), wrong_kinds),
    "priority": (st.integers(-3, 3), st.one_of(numbers, wrong_kinds)),
    "state": (st.sampled_from(["Accepted", "Activated", "Ended"]), wrong_kinds),
    "altitude_lower_m": (st.sampled_from([0, 100]), numbers),
    "altitude_upper_m": (st.sampled_from([100, 200]), numbers),
    "time_start": (st.just("2030-07-01T10:00:00Z"), times),
    "time_end": (st.sampled_from(["2030-07-01T10:30:00Z", "2030-07-01T10:00:00Z"]), times),
    "radius_m": (st.floats(0.001, 3000.0), numbers),
}


@st.composite
def features(draw: st.DrawFn) -> Any:
    """A feature valid but for at most one property, which is odd or missing."""
    fault = draw(st.sampled_from([*[None] * 20, "feature", *PROPERTIES]))
    props = {}
    for name, (valid, odd) in PROPERTIES.items():
        if name != fault:
            props[name] = draw(valid)
        elif draw(st.booleans()):
            props[name] = draw(odd)
    op = props.get("operation")
    for name, same in (
        ("party", f"party-{op}"),
        ("priority", len(str(op)) % 3),
        ("state", "Accepted"),
    ):
        if name != fault:  # one operation has one party, priority and state
            props[name] = same
    feature = {"type": "Feature", "geometry": draw(geometries()), "properties": props}
    if fault == "feature":
        key = draw(st.sampled_from(sorted(feature)))
        feature[key] = draw(st.one_of(wrong_kinds, st.just(MISSING)))
    return without_missing(feature)


plans = st.builds(
    lambda fs: {"type": "FeatureCollection", "features": fs},
    st.lists(features(), min_size=1, max_size=6),
)
not_plans = st.one_of(
    wrong_kinds,
    # An empty list of features is a plan (an empty one): only the other wrong kinds.
    st.builds(
        lambda fs: {"type": "FeatureCollection", "features": fs},
        wrong_kinds.filter(lambda fs: fs != []),
    ),
    st.builds(lambda t: {"type": t, "features": []}, wrong_kinds),
)


def run(tmp_path: Path, text: bytes) -> Any:
    path = tmp_path / "plan.geojson"
    path.write_bytes(text)
    return runner.invoke(app, ["check", str(path), "--format", "json"])


def assert_exits_as_a_parser_should(result: Any) -> None:
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert "invalid plan" in result.stderr, result.stderr
        assert result.stdout == ""
    else:
        json.loads(result.stdout)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=plans)
def test_any_plan_file_exits_zero_one_or_two(plan: Any, tmp_path: Path) -> None:
    assert_exits_as_a_parser_should(run(tmp_path, json.dumps(plan).encode()))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=not_plans)
def test_any_json_that_is_no_plan_exits_two(data: Any, tmp_path: Path) -> None:
    result = run(tmp_path, json.dumps(data).encode())
    assert result.exit_code == 2, result.output
    assert "invalid plan" in result.stderr


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=plans, cut=st.integers(0, 199), junk=st.binary(max_size=8))
def test_any_damaged_plan_file_exits_two(plan: Any, cut: int, junk: bytes, tmp_path: Path) -> None:
    text = json.dumps(plan).encode()
    assert_exits_as_a_parser_should(run(tmp_path, text[: len(text) * cut // 200] + junk))
