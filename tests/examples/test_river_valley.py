"""The bundled demo plan: well-formed, and exactly the conflicts its README documents."""

from __future__ import annotations

import itertools
import re
from importlib import resources
from typing import Any

import orjson
import pytest

from deconflict.geo.overlap import footprint_distance_m, volumes_conflict
from deconflict.io.plan import parse_plan
from deconflict.model.operation import Operation

EXAMPLES = resources.files("deconflict.examples")


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(EXAMPLES.joinpath("river_valley.geojson").read_bytes())
    return loaded


@pytest.fixture(scope="module")
def operations(data: dict[str, Any]) -> dict[str, Operation]:
    return {op.id: op for op in parse_plan(data)}


def conflicting_pairs(ops: dict[str, Operation]) -> set[tuple[str, str]]:
    return {
        (a.id, b.id)
        for a, b in itertools.combinations(sorted(ops.values(), key=lambda o: o.id), 2)
        if any(volumes_conflict(va, vb) for va in a.volumes for vb in b.volumes)
    }


def documented_conflicts() -> set[tuple[str, str]]:
    text = EXAMPLES.joinpath("README.md").read_text()
    header = text.split("CLOSE BUT NOT IN CONFLICT")[0]
    found = re.findall(r"^\d\. (\S+) x (\S+)", header, flags=re.MULTILINE)
    return {(min(a, b), max(a, b)) for a, b in found}


def test_shape_of_the_plan(data: dict[str, Any], operations: dict[str, Operation]) -> None:
    assert 8 <= len(operations) <= 14
    assert 15 <= len(data["features"]) <= 30
    assert {op.party for op in operations.values()} == {"coalition", "northern-force"}
    for f in data["features"]:
        p = f["properties"]
        assert p["name"] and p["time_start"].startswith("2018-07-15T")
        lon, lat = (
            f["geometry"]["coordinates"]
            if f["geometry"]["type"] == "Point"
            else f["geometry"]["coordinates"][0][0]
        )
        assert 39.5 < lon < 40.8 and 35.0 < lat < 35.7  # the valley around Deir ez-Zor


def test_exactly_the_documented_conflicts(operations: dict[str, Operation]) -> None:
    expected = {("coa-jackal-11", "nf-berkut-2"), ("coa-dustoff-5", "nf-sokol-7")}
    assert documented_conflicts() == expected
    assert conflicting_pairs(operations) == expected


def test_priorities_of_the_conflicting_pairs(operations: dict[str, Operation]) -> None:
    assert operations["coa-jackal-11"].priority == operations["nf-berkut-2"].priority == 0
    assert operations["coa-dustoff-5"].priority == 10
    assert operations["nf-sokol-7"].priority == 0


def test_near_misses_are_close_but_apart(operations: dict[str, Operation]) -> None:
    reaper, grom12 = operations["coa-reaper-31"], operations["nf-grom-12"]
    assert footprint_distance_m(reaper.volumes[1].footprint, grom12.volumes[1].footprint) == 0
    assert grom12.volumes[1].altitude.lower_m - reaper.volumes[1].altitude.upper_m == 200

    viper, grom14 = operations["coa-viper-41"], operations["nf-grom-14"]
    gap = grom14.volumes[0].time.start - viper.volumes[1].time.end
    assert gap.total_seconds() == 60
    assert viper.volumes[1].altitude == grom14.volumes[0].altitude

    herc, krasny = operations["coa-herc-22"], operations["nf-krasny-4"]
    for a, b in zip(herc.volumes, krasny.volumes, strict=True):
        assert footprint_distance_m(a.footprint, b.footprint) == pytest.approx(200.0, abs=0.5)
        assert a.time == b.time and a.altitude == b.altitude
