"""The ``deconflict check`` contract: output shape, exit codes, error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.errors import InvalidInput

runner = CliRunner()


def feature(op: str, party: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    d = 0.01
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    base = {
        "operation": op,
        "party": party,
        "altitude_lower_m": 100,
        "altitude_upper_m": 200,
        "time_start": "2026-07-01T10:00:00Z",
        "time_end": "2026-07-01T10:30:00Z",
    }
    base.update(props)
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": base,
    }


def write(tmp_path: Path, *features: dict[str, Any]) -> Path:
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def test_a_plan_without_conflicts_exits_zero(tmp_path: Path) -> None:
    path = write(tmp_path, feature("a", "x", 0, 0), feature("b", "y", 1, 1))
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"operations": 2, "volumes": 2, "conflicts": []}


def test_conflicts_exit_one_and_report_each_pair_with_a_before_b(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        feature("zulu", "x", 0, 0),
        feature(
            "alpha",
            "y",
            0.005,
            0.005,
            altitude_lower_m=150,
            altitude_upper_m=300,
            time_start="2026-07-01T10:20:00Z",
            time_end="2026-07-01T11:00:00Z",
        ),
    )
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 1
    [conflict] = json.loads(result.stdout)["conflicts"]
    assert (conflict["a"], conflict["b"]) == ("alpha", "zulu")
    assert (conflict["party_a"], conflict["party_b"]) == ("y", "x")
    [o] = conflict["overlaps"]
    assert o["time_start"] == "2026-07-01T10:20:00Z"
    assert o["time_end"] == "2026-07-01T10:30:00Z"
    assert (o["altitude_lower_m"], o["altitude_upper_m"]) == (150, 200)
    assert o["area_m2"] == pytest.approx(556.6**2, rel=0.01)


def test_invalid_input_exits_two_naming_feature_and_field_with_empty_stdout(tmp_path: Path) -> None:
    bad = feature("b", "y", 1, 1, time_end="2026-07-01T09:00:00Z")
    path = write(tmp_path, feature("a", "x", 0, 0), bad)
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "features[1].properties.time_start" in result.stderr


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda f: f["properties"].pop("party"), "features[0].properties.party"),
        (lambda f: f["properties"].update(priority="high"), "features[0].properties.priority"),
        (lambda f: f["properties"].update(state="Flying"), "features[0].properties.state"),
        (
            lambda f: f["properties"].update(altitude_lower_m=500),
            "features[0].properties.altitude_lower_m",
        ),
        (
            lambda f: f["geometry"].update(coordinates=[[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]),
            "features[0].geometry.coordinates[0]: ",
        ),
        (
            lambda f: f["geometry"]["coordinates"][0][2].__setitem__(1, "north"),
            "features[0].geometry.coordinates[0][2]: coordinates must be numbers",
        ),
        (
            lambda f: f["geometry"]["coordinates"][0].__setitem__(3, [0.01, 0]),
            "features[0].geometry.coordinates[0][3]: repeats vertex 1",
        ),
        (
            lambda f: f["geometry"]["coordinates"][0][1].__setitem__(1, 95),
            "features[0].geometry.coordinates[0][1]: latitude 95",
        ),
        (
            lambda f: f.update(
                geometry={"type": "Point", "coordinates": [0, 95]},
                properties={**f["properties"], "radius_m": 50},
            ),
            "features[0].geometry.coordinates: latitude 95",
        ),
        (
            lambda f: f.update(geometry={"type": "Point", "coordinates": [0, 0]}),
            "features[0].properties.radius_m",
        ),
        (
            lambda f: f.update(geometry={"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
            "features[0].geometry.type",
        ),
    ],
)
def test_each_invalid_field_is_named(tmp_path: Path, mutate: Any, field: str) -> None:
    f = feature("a", "x", 0, 0)
    mutate(f)
    result = runner.invoke(app, ["check", str(write(tmp_path, f)), "--format", "json"])
    assert result.exit_code == 2
    assert field in result.stderr
    assert "vertices" not in result.stderr and "center" not in result.stderr


def test_not_json_exits_two(tmp_path: Path) -> None:
    path = tmp_path / "plan.geojson"
    path.write_text("{nope")
    assert runner.invoke(app, ["check", str(path)]).exit_code == 2


def test_circles_are_points_with_a_radius(tmp_path: Path) -> None:
    circle = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [0.005, 0.005]},
        "properties": {**feature("c", "z", 0, 0)["properties"], "radius_m": 50},
    }
    result = runner.invoke(
        app, ["check", str(write(tmp_path, feature("a", "x", 0, 0), circle)), "--format", "json"]
    )
    assert result.exit_code == 1


def test_default_output_is_a_readable_table(tmp_path: Path) -> None:
    path = write(tmp_path, feature("a", "x", 0, 0), feature("b", "y", 0, 0))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "1 conflict among 2 operations" in result.stdout


def test_the_installed_command_runs_end_to_end(tmp_path: Path) -> None:
    path = write(tmp_path, feature("a", "x", 0, 0), feature("b", "y", 0, 0))
    exe = Path(sys.executable).with_name("deconflict")
    done = subprocess.run([str(exe), "check", str(path), "--format", "json"], capture_output=True)
    assert done.returncode == 1
    assert json.loads(done.stdout)["conflicts"][0]["a"] == "a"


def test_a_circle_centred_on_the_pole_and_one_beside_it_conflict(tmp_path: Path) -> None:
    # Issue 16, defect 1: this plan exited 2, "vertices[2]: repeats vertex 1".
    def circle(op: str, lat: float, radius_m: float) -> dict[str, Any]:
        f = feature(op, op, 0, 0, radius_m=radius_m)
        f["geometry"] = {"type": "Point", "coordinates": [0.0, lat]}
        return f

    path = write(tmp_path, circle("pole", 90.0, 500.0), circle("near", 89.9991, 50.0))
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    [conflict] = json.loads(result.stdout)["conflicts"]
    assert (conflict["a"], conflict["b"]) == ("near", "pole")
    assert conflict["overlaps"][0]["area_m2"] == pytest.approx(3.14159 * 50.0**2, rel=1e-3)


def two_overlapping_squares(tmp_path: Path) -> Path:
    return write(tmp_path, feature("a", "x", 0, 0), feature("b", "y", 0.005, 0.005))


def test_a_failure_while_drawing_the_report_exits_three_saying_it_is_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 16, defect 3: an input rule failing on a shape we derived was "invalid plan".
    def broken(_: object) -> object:
        raise InvalidInput("vertices[2]", "repeats vertex 1; every vertex must be distinct")

    monkeypatch.setattr("deconflict.geo.overlap._as_polygon", broken)
    result = runner.invoke(app, ["check", str(two_overlapping_squares(tmp_path))])
    assert result.exit_code == 3
    assert "internal error" in result.stderr
    assert "not in the plan" in result.stderr
    assert "invalid plan" not in result.stderr
    assert "Traceback" in result.stderr
    assert result.stdout == ""


def test_an_unexpected_exception_exits_three_not_one_which_means_conflicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr("deconflict.core.batch.judge_pair", broken)
    result = runner.invoke(app, ["check", str(two_overlapping_squares(tmp_path))])
    assert result.exit_code == 3
    assert "RuntimeError: boom" in result.stderr


def test_an_invalid_feature_is_named_by_its_index_and_its_operation(tmp_path: Path) -> None:
    bowtie = feature("op-7", "y", 1, 1)
    bowtie["geometry"]["coordinates"] = [[[1, 1], [1.01, 1.01], [1.01, 1], [1, 1.01], [1, 1]]]
    result = runner.invoke(app, ["check", str(write(tmp_path, feature("a", "x", 0, 0), bowtie))])
    assert result.exit_code == 2
    assert "features[1].geometry.coordinates[0]: " in result.stderr
    assert "(operation 'op-7')" in result.stderr


def test_an_invalid_value_that_looks_like_console_markup_is_quoted_not_rendered(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, feature("a", "x", 0, 0, time_start="[/red] [bold]"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert "features[0].properties.time_start" in result.stderr
    assert "'[/red] [bold]'" in result.stderr


def test_operation_ids_that_look_like_console_markup_are_printed_as_written(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, feature("[/a]", "[b]", 0, 0), feature("[bold]c", "y", 0.005, 0.005))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert "[/a] ([b])" in result.stdout and "[bold]c (y)" in result.stdout
