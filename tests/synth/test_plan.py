"""The synthetic plan generator: deterministic, well-formed, parseable, streamable."""

from __future__ import annotations

import io
import math
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from deconflict.core.batch import check_plan
from deconflict.geo.footprint import Polygon
from deconflict.io.plan import parse_plan
from deconflict.synth import DEFAULT_REGION, PARTIES, Region, generate_plan, write_plan
from deconflict.synth.plan import regions

STATES = {"Accepted", "Activated", "Nonconforming", "Contingent", "Ended"}
NUMBER = (int, float)


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return generate_plan(600, seed=7)


def by_operation(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in plan["features"]:
        groups.setdefault(f["properties"]["operation"], []).append(f)
    return groups


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    assert generate_plan(150, seed=3) == generate_plan(150, seed=3)
    assert generate_plan(150, seed=3) != generate_plan(150, seed=4)


def test_exact_operation_count_and_sequential_ids(plan: dict[str, Any]) -> None:
    assert plan["type"] == "FeatureCollection"
    ids = list(by_operation(plan))
    assert ids == [f"op-{i:06d}" for i in range(1, 601)]


def test_ids_follow_departure_time(plan: dict[str, Any]) -> None:
    firsts = [min(f["properties"]["time_start"] for f in fs) for fs in by_operation(plan).values()]
    assert firsts == sorted(firsts)


def test_every_feature_has_required_properties_with_right_types(plan: dict[str, Any]) -> None:
    party_names = {p.name for p in PARTIES}
    for f in plan["features"]:
        assert f["type"] == "Feature"
        p = f["properties"]
        assert isinstance(p["operation"], str)
        assert p["party"] in party_names
        assert isinstance(p["priority"], int) and not isinstance(p["priority"], bool)
        assert p["state"] in STATES
        for name in ("altitude_lower_m", "altitude_upper_m"):
            assert isinstance(p[name], NUMBER) and math.isfinite(p[name])
        assert p["altitude_lower_m"] <= p["altitude_upper_m"]
        start = datetime.fromisoformat(p["time_start"])
        end = datetime.fromisoformat(p["time_end"])
        assert p["time_start"].endswith("Z") and p["time_end"].endswith("Z")
        assert start.utcoffset() is not None and start.utcoffset().total_seconds() == 0
        assert start <= end
        assert start.date() == end.date() == datetime(2026, 7, 1).date()


def test_geometry_is_closed_distinct_and_simple(plan: dict[str, Any]) -> None:
    kinds: Counter[str] = Counter()
    for f in plan["features"]:
        g = f["geometry"]
        kinds[g["type"]] += 1
        if g["type"] == "Point":
            assert 30 <= f["properties"]["radius_m"] <= 150
            continue
        assert g["type"] == "Polygon" and len(g["coordinates"]) == 1
        ring = g["coordinates"][0]
        assert ring[0] == ring[-1]
        assert len({tuple(p) for p in ring[:-1]}) == len(ring) - 1
        Polygon.from_ring(ring)  # the geo layer's own validation: no self-crossing etc.
    assert kinds["Point"] > 0 and kinds["Polygon"] > 0


def test_operations_are_consistent_and_realistic(plan: dict[str, Any]) -> None:
    groups = by_operation(plan)
    roles: Counter[str] = Counter()
    for feats in groups.values():
        assert 1 <= len(feats) <= 3
        first = feats[0]["properties"]
        for f in feats[1:]:
            for name in ("party", "priority", "state"):
                assert f["properties"][name] == first[name]
        roles.update(f["properties"]["role"] for f in feats)
    assert roles["survey"] == round(0.15 * len(groups))
    priorities = Counter(feats[0]["properties"]["priority"] for feats in groups.values())
    assert set(priorities) == {0, 10} and priorities[10] < priorities[0] / 10
    assert len({feats[0]["properties"]["party"] for feats in groups.values()}) >= 5
    for f in plan["features"]:
        p = f["properties"]
        if p["role"] == "survey":
            assert 6 <= len(f["geometry"]["coordinates"][0]) - 1 <= 20


def test_delivery_altitudes_stay_in_the_low_level_band(plan: dict[str, Any]) -> None:
    for f in plan["features"]:
        p = f["properties"]
        assert p["altitude_lower_m"] >= 100 + 30 - 1
        assert p["altitude_upper_m"] <= 300 + 150 + 1


def test_points_lie_in_the_region_give_or_take_a_corridor(plan: dict[str, Any]) -> None:
    slack = 0.2  # customers up to 12 km from a depot may sit just outside the box
    r = DEFAULT_REGION
    for f in plan["features"]:
        g = f["geometry"]
        points = [g["coordinates"]] if g["type"] == "Point" else g["coordinates"][0]
        for lon, lat in points:
            assert r.west - slack <= lon <= r.east + slack
            assert r.south - slack <= lat <= r.north + slack


def test_every_generated_feature_passes_the_plan_parser(plan: dict[str, Any]) -> None:
    operations = parse_plan(plan)
    assert len(operations) == 600
    assert sum(len(op.volumes) for op in operations) == len(plan["features"])


def test_streamed_file_equals_the_in_memory_plan() -> None:
    buffer = io.BytesIO()
    calls: list[int] = []
    written = write_plan(buffer, 2500, 11, calls.append)
    data = orjson.loads(buffer.getvalue())
    assert data == generate_plan(2500, seed=11)
    assert written == len(data["features"])
    assert sum(calls) == 2500 and len(calls) >= 2


def test_write_plan_to_a_path(tmp_path: Any) -> None:
    target = tmp_path / "plan.geojson"
    write_plan(target, 5, 1)
    assert len(by_operation(orjson.loads(target.read_bytes()))) == 5


def test_custom_region_and_day() -> None:
    region = Region.around(2.35, 48.86, 40.0, 40.0)
    day = datetime(2027, 1, 2, tzinfo=UTC)
    data = generate_plan(50, seed=1, region=region, start=day)
    for f in data["features"]:
        assert f["properties"]["time_start"].startswith("2027-01-02T")
        g = f["geometry"]
        lon = g["coordinates"][0] if g["type"] == "Point" else g["coordinates"][0][0][0]
        assert 1.9 < lon < 2.8


def test_zero_operations_is_an_empty_collection() -> None:
    assert generate_plan(0, seed=1) == {"type": "FeatureCollection", "features": []}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_plan(-1, seed=1)
    with pytest.raises(ValueError):
        generate_plan(1, seed=1, start=datetime(2026, 7, 1))
    with pytest.raises(ValueError):
        Region(10.0, 50.0, 9.0, 51.0)


def test_a_dense_plan_has_few_conflicts() -> None:
    """The planner's own check keeps coordinated flights apart; few pairs remain."""
    data = generate_plan(3000, seed=5)
    report = check_plan(parse_plan(data))
    in_conflict = {c.a.id for c in report.conflicts} | {c.b.id for c in report.conflicts}
    assert 0 < len(in_conflict) < 0.05 * 3000


def test_a_plan_larger_than_a_region_spreads_over_neighbouring_regions() -> None:
    data = generate_plan(500, seed=2, per_region=200)
    ids = list(by_operation(data))
    assert ids == [f"op-{i:06d}" for i in range(1, 501)]
    places = regions(DEFAULT_REGION, 3)
    assert len({(r.west, r.south) for r in places}) == 3
    # 167, 167 and 166 operations: each region's share stays in that region.
    for k, (first, last) in enumerate([(1, 167), (168, 334), (335, 500)]):
        r = places[k]
        lon0, lat0 = r.centre
        for op in ids[first - 1 : last]:
            for f in by_operation(data)[op]:
                g = f["geometry"]
                lon, lat = g["coordinates"] if g["type"] == "Point" else g["coordinates"][0][0]
                assert abs(lon - lon0) < (r.east - r.west) * 0.6
                assert abs(lat - lat0) < (r.north - r.south) * 0.6


def test_the_first_region_of_a_larger_plan_is_the_plan_of_that_region_alone() -> None:
    alone = generate_plan(150, seed=9)["features"]
    spread = generate_plan(300, seed=9, per_region=150)["features"]
    assert spread[: len(alone)] == alone


def test_regions_written_by_workers_equal_the_plan_written_here() -> None:
    here, there = io.BytesIO(), io.BytesIO()
    calls: list[int] = []
    written = write_plan(here, 400, 3, per_region=100, workers=1)
    assert write_plan(there, 400, 3, calls.append, per_region=100, workers=2) == written
    assert here.getvalue() == there.getvalue()
    assert orjson.loads(there.getvalue()) == generate_plan(400, seed=3, per_region=100)
    assert sum(calls) == 400
