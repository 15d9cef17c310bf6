"""``deconflict check PLAN --constraints FILE``: a plan against no-fly zones and sectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.io.ed269 import to_ed269
from tests.airspace.factories import constraint, deg
from tests.io.test_airspace import _file

runner = CliRunner()
FIVE_CM = deg(0.05)


def feature(op: str, party: str, west: float, east: float, lat: float = 0.002) -> dict[str, Any]:
    ring = [[west, lat], [east, lat], [east, lat + 0.006], [west, lat + 0.006], [west, lat]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "operation": op,
            "party": party,
            "altitude_lower_m": 100,
            "altitude_upper_m": 200,
            "time_start": "2026-07-01T12:10:00Z",
            "time_end": "2026-07-01T12:20:00Z",
        },
    }


def plan(tmp_path: Path, *features: dict[str, Any]) -> Path:
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def test_a_plan_clipping_a_no_fly_zone_by_5_cm_fails_and_5_cm_outside_passes(
    tmp_path: Path,
) -> None:
    nfz = tmp_path / "nfz.json"
    nfz.write_bytes(orjson.dumps(to_ed269([constraint("NFZ1")])))  # west edge on lon 0
    clip = plan(tmp_path, feature("clip", "alpha", -0.01, FIVE_CM))
    json_out = ["--constraints", str(nfz), "--format", "json"]
    result = runner.invoke(app, ["check", str(clip), *json_out])
    assert result.exit_code == 1, result.output
    (hit,) = json.loads(result.stdout)["constraint_conflicts"]
    assert (hit["operation"], hit["constraint"], hit["verdict"]) == ("clip", "NFZ1", "blocking")
    assert hit["overlaps"][0]["time_start"] == "2026-07-01T12:10:00Z"
    clear = plan(tmp_path, feature("clear", "alpha", -0.01, -FIVE_CM))
    result = runner.invoke(app, ["check", str(clear), *json_out])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["constraint_conflicts"] == []


def test_a_plan_in_another_partys_sector_near_the_antimeridian(tmp_path: Path) -> None:
    zones = tmp_path / "zones.geojson"
    zones.write_bytes(orjson.dumps(_file()))  # sectors 1 km either side of 180, 12:00-13:00
    lon = 180.0 - deg(500.0, -16.5)
    p = plan(
        tmp_path,
        feature("east-1", "e", lon - 0.001, lon, lat=-16.5),
        feature("west-1", "w", lon - 0.001, lon, lat=-16.5),
    )
    result = runner.invoke(app, ["check", str(p), "--constraints", str(zones)])
    assert result.exit_code == 1
    assert "east-1 (e)" in result.output and "sector of w" in result.output
    assert "west-1 (w)" not in result.output.split("constraint and zone conflict")[1]


def test_a_bad_constraints_file_is_exit_2_with_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"features": [{"identifier": "X", "restriction": "NOPE"}]}))
    p = plan(tmp_path, feature("a", "alpha", 1.0, 1.01))
    result = runner.invoke(app, ["check", str(p), "--constraints", str(bad)])
    assert result.exit_code == 2
    assert "features[0].restriction" in result.output
