"""The columnar plan reader agrees with the domain parser on every input."""

from __future__ import annotations

import copy
import io
import math
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.core.batch import PlanPool, Shapes, check_columns, check_plan, volume_shapes
from deconflict.errors import InvalidInput
from deconflict.geo.footprint import Polygon
from deconflict.io.plan import parse_plan
from deconflict.io.plan_columns import read_plan_columns, read_raw_columns, surely_valid
from deconflict.model.columns import PlanColumns, VolumeArrays
from deconflict.synth import generate_plan, write_plan

BASE: dict[str, Any] = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]],
    },
    "properties": {
        "operation": "a",
        "party": "x",
        "priority": 1,
        "state": "Activated",
        "altitude_lower_m": 100,
        "altitude_upper_m": 200,
        "time_start": "2026-07-01T10:00:00Z",
        "time_end": "2026-07-01T10:30:00Z",
    },
}
CIRCLE: dict[str, Any] = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [0.005, 0.005]},
    "properties": {**BASE["properties"], "operation": "b", "radius_m": 50.0},
}

ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "x",
    "Accepted",
    "2026-07-01T10:00:00",
    "2026-07-01T09:00:00Z",
    "2026-07-01T11:00:00+02:00",
    [],
    [0],
    {},
    1e7,
    91,
    -181,
    500,
    10**20,
]
FIELDS = [
    ("properties", "operation"),
    ("properties", "party"),
    ("properties", "priority"),
    ("properties", "state"),
    ("properties", "altitude_lower_m"),
    ("properties", "altitude_upper_m"),
    ("properties", "time_start"),
    ("properties", "time_end"),
    ("properties", "radius_m"),
    ("geometry", "type"),
    ("geometry", "coordinates"),
    ("", "type"),
    ("", "geometry"),
    ("", "properties"),
]


def outcome(reader: Any, plan: dict[str, Any]) -> str:
    try:
        reader(plan)
    except InvalidInput as exc:
        return f"error: {exc}"
    return "ok"


def same_outcome(plan: dict[str, Any]) -> None:
    assert outcome(read_plan_columns, plan) == outcome(parse_plan, plan)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from([BASE, CIRCLE]),
    st.sampled_from(FIELDS),
    st.sampled_from(ODD_VALUES),
    st.booleans(),
)
def test_both_readers_give_the_same_verdict_on_odd_values(
    feature: dict[str, Any], where: tuple[str, str], value: Any, delete: bool
) -> None:
    f = copy.deepcopy(feature)
    target = f[where[0]] if where[0] else f
    if delete:
        target.pop(where[1], None)
    else:
        target[where[1]] = value
    same_outcome({"type": "FeatureCollection", "features": [copy.deepcopy(BASE), f]})


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 4), st.integers(0, 1), st.sampled_from(ODD_VALUES))
def test_both_readers_give_the_same_verdict_on_odd_coordinates(
    vertex: int, axis: int, value: Any
) -> None:
    f = copy.deepcopy(BASE)
    f["geometry"]["coordinates"][0][vertex][axis] = value
    same_outcome({"type": "FeatureCollection", "features": [f]})


@pytest.mark.parametrize(
    "ring",
    [
        [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]],  # bow tie
        [[0, 0], [1, 0], [1, 0], [0, 1], [0, 0]],  # repeated vertex
        [[0, 0], [1, 0], [0, 0]],  # too few
        [[0, 0], [1, 0], [2, 0], [0, 0]],  # no area
    ],
)
def test_invalid_rings_get_the_domain_message(ring: list[list[float]]) -> None:
    f = copy.deepcopy(BASE)
    f["geometry"]["coordinates"] = [ring]
    plan = {"type": "FeatureCollection", "features": [copy.deepcopy(CIRCLE), f]}
    assert outcome(read_plan_columns, plan).startswith("error: features[1].geometry")
    same_outcome(plan)


def test_the_first_bad_feature_is_reported_when_several_are_bad() -> None:
    bad_ring = copy.deepcopy(BASE)
    bad_ring["geometry"]["coordinates"] = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    bad_time = copy.deepcopy(BASE)
    bad_time["properties"]["time_start"] = "soon"
    plan = {"type": "FeatureCollection", "features": [bad_ring, bad_time]}
    assert outcome(read_plan_columns, plan).startswith("error: features[0]")
    same_outcome(plan)


def test_inconsistent_operations_get_the_same_message() -> None:
    other = copy.deepcopy(BASE)
    other["properties"]["party"] = "y"
    same_outcome({"type": "FeatureCollection", "features": [copy.deepcopy(BASE), other]})


def test_a_generated_plan_gives_the_same_report_both_ways() -> None:
    plan = generate_plan(1500, seed=3)
    from_columns = check_columns(read_plan_columns(plan))
    from_domain = check_plan(parse_plan(plan))
    assert [c.to_json() for c in from_columns.conflicts] == [
        c.to_json() for c in from_domain.conflicts
    ]
    assert from_columns.conflicts, "the plan should hold some conflicts to compare"


def test_worker_processes_give_the_same_report() -> None:
    plan = generate_plan(3000, seed=4)
    alone = check_columns(read_plan_columns(plan))
    with PlanPool(2) as pool:
        cols = read_plan_columns(plan, validate_polygons=pool.invalid_polygons, settle=False)
        spread = check_columns(cols, pool=pool)
    assert [c.to_json() for c in spread.conflicts] == [c.to_json() for c in alone.conflicts]


def test_an_invalid_polygon_found_by_the_workers_is_reported_by_the_check() -> None:
    plan = generate_plan(3000, seed=5)
    plan["features"][2500]["geometry"]["coordinates"] = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    with PlanPool(2) as pool:
        cols = read_plan_columns(plan, validate_polygons=pool.invalid_polygons, settle=False)
        with pytest.raises(InvalidInput, match=r"features\[2500\]\.geometry"):
            check_columns(cols, pool=pool)


# ------------------------------------------------------------ the file read in chunks


def plan_bytes(operations: int, seed: int) -> bytes:
    buffer = io.BytesIO()
    write_plan(buffer, operations, seed)
    return buffer.getvalue()


def same_columns(a: PlanColumns, b: PlanColumns) -> None:
    assert (a.op_ids, a.parties, a.priorities, a.states) == (
        b.op_ids,
        b.parties,
        b.priorities,
        b.states,
    )
    for name in VolumeArrays.__dataclass_fields__:
        assert np.array_equal(getattr(a.arrays, name), getattr(b.arrays, name)), name


def test_a_file_read_in_chunks_by_workers_gives_the_columns_of_the_whole_reader() -> None:
    raw = plan_bytes(2000, seed=6)
    read = read_raw_columns(raw, workers=2, extra=volume_shapes, chunk_bytes=50_000)
    assert read is not None
    cols, shapes = read
    assert len(shapes) > 2, "the plan should span several chunks"
    same_columns(cols, read_plan_columns(orjson.loads(raw)))


def test_a_file_read_in_chunks_gives_the_report_of_the_whole_reader() -> None:
    raw = plan_bytes(3000, seed=4)
    read = read_raw_columns(raw, workers=2, extra=volume_shapes, chunk_bytes=80_000)
    assert read is not None
    cols, shapes = read
    with PlanPool(2) as pool:
        spread = check_columns(cols, pool=pool, shapes=Shapes.concatenate(shapes))
    alone = check_columns(read_plan_columns(orjson.loads(raw)))
    assert spread.conflicts, "the plan should hold some conflicts to compare"
    assert [c.to_json() for c in spread.conflicts] == [c.to_json() for c in alone.conflicts]


def test_an_operation_split_across_chunks_is_one_operation() -> None:
    raw = plan_bytes(300, seed=2)
    read = read_raw_columns(raw, chunk_bytes=1)  # a chunk per feature
    assert read is not None
    same_columns(read[0], read_plan_columns(orjson.loads(raw)))


def test_a_file_not_one_feature_per_line_is_left_to_the_whole_reader() -> None:
    plan = generate_plan(50, seed=1)
    assert read_raw_columns(orjson.dumps(plan, option=orjson.OPT_INDENT_2), chunk_bytes=1) is None


def test_an_invalid_feature_leaves_the_file_to_the_whole_reader() -> None:
    plan = generate_plan(200, seed=1)
    plan["features"][150]["geometry"]["coordinates"] = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    raw = b",\n".join(orjson.dumps(f) for f in plan["features"])
    raw = b'{"type":"FeatureCollection","features":[\n' + raw + b"\n]}"
    assert read_raw_columns(raw, chunk_bytes=1000) is None


def test_operations_disagreeing_across_chunks_leave_the_file_to_the_whole_reader() -> None:
    features = [copy.deepcopy(BASE) for _ in range(3)]
    features[2]["properties"]["priority"] = 7
    raw = b",\n".join(orjson.dumps(f) for f in features)
    raw = b'{"type":"FeatureCollection","features":[\n' + raw + b"\n]}"
    assert read_raw_columns(raw, chunk_bytes=1) is None
    assert read_raw_columns(raw.replace(b"7", b"1"), chunk_bytes=1) is not None


LAYOUT_FEATURES = [copy.deepcopy(BASE), copy.deepcopy(CIRCLE), copy.deepcopy(BASE)]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.sampled_from([b"", b" ", b"\n", b",", b"\n,\n", b"[", b"]", b"}"]), max_size=6),
    st.lists(st.integers(0, 10_000), max_size=6),
    st.integers(1, 400),
)
def test_chunks_never_read_anything_but_what_the_whole_file_says(
    junk: list[bytes], where: list[int], chunk_bytes: int
) -> None:
    """Whatever the layout or damage, a chunked read is the whole read or declines."""
    text = bytearray(
        b'{"type": "FeatureCollection", "features": [\n'
        + b",\n".join(orjson.dumps(f) for f in LAYOUT_FEATURES)
        + b"\n]}\n"
    )
    for piece, at in zip(junk, where, strict=False):
        at = at % (len(text) + 1)
        text[at:at] = piece
    raw = bytes(text)
    read = read_raw_columns(raw, chunk_bytes=chunk_bytes)
    if read is None:
        return
    same_columns(read[0], read_plan_columns(orjson.loads(raw)))


def ring_arrays(rings: list[list[tuple[float, float]]]) -> VolumeArrays:
    count = np.array([len(r) for r in rings], dtype=np.int64)
    zeros = np.zeros(len(rings))
    return VolumeArrays(
        op=np.arange(len(rings)),
        t0=zeros,
        t1=zeros,
        lo=zeros,
        hi=zeros,
        radius=zeros,
        first_vertex=np.cumsum(count) - count,
        vertex_count=count,
        lons=np.array([p[0] for r in rings for p in r], dtype=np.float64),
        lats=np.array([p[1] for r in rings for p in r], dtype=np.float64),
        t0_us=zeros.astype(np.int64),
        t1_us=zeros.astype(np.int64),
        feature=np.arange(len(rings)),
    )


@st.composite
def rings(draw: st.DrawFn) -> list[tuple[float, float]]:
    """Rings near and far from valid: jittered regular polygons of every size, anywhere
    (poles, antimeridian), some reordered, squashed or given a repeated vertex."""
    lon = draw(st.sampled_from([0.0, 179.9999, -180.0, 180.0, 8.7, -73.9]))
    lat = draw(st.sampled_from([0.0, 50.1, 89.9999, -89.99, 90.0, 45.0]))
    size = draw(st.sampled_from([1e-9, 1e-7, 1e-5, 1e-3, 0.1, 3.0, 10.0]))
    n = draw(st.integers(3, 7))
    squash = draw(st.sampled_from([1.0, 1e-3, 1e-7, 0.0]))
    points = []
    for k in range(n):
        angle = 2 * math.pi * k / n + draw(st.floats(-0.5, 0.5)) / n
        dx, dy = math.cos(angle) * size, math.sin(angle) * size * squash
        points.append((max(-180.0, min(180.0, lon + dx)), max(-90.0, min(90.0, lat + dy))))
    if draw(st.booleans()):
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        points[i], points[j] = points[j], points[i]
    if draw(st.integers(0, 5)) == 0:
        points[draw(st.integers(0, n - 1))] = points[0]
    return points


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(rings(), min_size=1, max_size=4))
def test_a_ring_surely_valid_is_valid_for_the_domain(
    drawn: list[list[tuple[float, float]]],
) -> None:
    sure = surely_valid(ring_arrays(drawn), np.arange(len(drawn)))
    for ring, accepted in zip(drawn, sure.tolist(), strict=True):
        if accepted:
            Polygon(tuple(ring))  # raises InvalidInput if the shortcut was wrong


def test_the_corridors_of_a_generated_plan_skip_s2_validation() -> None:
    a = read_plan_columns(generate_plan(300, seed=1)).arrays
    polygons = np.flatnonzero(a.radius == 0.0)
    assert surely_valid(a, polygons).mean() > 0.8
