"""``deconflict tactical check``: output shape, exit codes, and errors that name the field."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconflict.cli.tactical import app
from deconflict.tactical.state import EARTH_RADIUS_M

runner = CliRunner()

# Two aircraft 20 km apart head-on at the equator, a third far away.
HEAD_ON = [
    {
        "id": "zulu",
        "lat": 0.0,
        "lon": 0.0,
        "alt_m": 10000,
        "gs_mps": 200,
        "track_deg": 90,
        "vs_mps": 0,
    },
    {
        "id": "alpha",
        "lat": 0.0,
        "lon": 0.18,
        "alt_m": 10000,
        "vn_mps": 0,
        "ve_mps": -200,
        "vs_mps": 0,
    },
    {
        "id": "far",
        "lat": 40.0,
        "lon": 0.0,
        "alt_m": 10000,
        "gs_mps": 200,
        "track_deg": 0,
        "vs_mps": 0,
    },
]


def write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "states.json"
    path.write_text(json.dumps(data))
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_conflicts_exit_1_and_print_the_pair_with_a_before_b(tmp_path: Path) -> None:
    code, out, _ = run(write(tmp_path, HEAD_ON), "--format", "json")
    assert code == 1
    conflicts = json.loads(out)["conflicts"]
    assert [(c["a"], c["b"]) for c in conflicts] == [("alpha", "zulu")]
    assert set(conflicts[0]) == {"a", "b", "tcpa_s", "dcpa_m", "t_in_s", "t_out_s", "los"}
    assert conflicts[0]["los"] is False
    assert conflicts[0]["tcpa_s"] == pytest.approx(
        math.radians(0.18) * EARTH_RADIUS_M / 400.0, rel=1e-4
    )


def test_no_conflicts_exit_0_with_an_empty_list(tmp_path: Path) -> None:
    code, out, _ = run(write(tmp_path, HEAD_ON[1:]), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"conflicts": []}


def test_lookahead_option_limits_the_prediction(tmp_path: Path) -> None:
    # Entry is at about (20,015 - 9,260) / 400 = 27 s.
    code, _, _ = run(write(tmp_path, HEAD_ON), "--format", "json", "--lookahead-s", "20")
    assert code == 0


def test_half_height_option_sets_the_vertical_zone(tmp_path: Path) -> None:
    stacked = [dict(s) for s in HEAD_ON]
    stacked[1]["alt_m"] = 10_500
    path = write(tmp_path, stacked)
    assert run(path, "--format", "json")[0] == 0
    assert run(path, "--format", "json", "--half-height-m", "600")[0] == 1


def test_table_is_the_default_format(tmp_path: Path) -> None:
    code, out, _ = run(write(tmp_path, HEAD_ON))
    assert code == 1
    assert "alpha" in out and "zulu" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_invalid_record_exits_2_naming_index_and_field_with_nothing_on_stdout(
    tmp_path: Path,
) -> None:
    bad = [dict(s) for s in HEAD_ON]
    bad[2]["lat"] = 95.0
    code, out, err = run(write(tmp_path, bad), "--format", "json")
    assert code == 2
    assert out == ""
    assert "[2].lat" in err


def test_missing_velocity_field_is_named(tmp_path: Path) -> None:
    bad = [dict(s) for s in HEAD_ON]
    del bad[0]["track_deg"]
    code, out, err = run(write(tmp_path, bad), "--format", "json")
    assert (code, out) == (2, "")
    assert "[0].track_deg" in err


def test_duplicate_ids_are_invalid(tmp_path: Path) -> None:
    bad = [dict(s) for s in HEAD_ON]
    bad[2]["id"] = "zulu"
    code, out, err = run(write(tmp_path, bad), "--format", "json")
    assert (code, out) == (2, "")
    assert "[2].id" in err


def test_malformed_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "states.json"
    path.write_text("[{")
    code, out, err = run(str(path), "--format", "json")
    assert (code, out) == (2, "")
    assert "not valid JSON" in err


def test_non_positive_radius_exits_2_naming_the_option(tmp_path: Path) -> None:
    code, out, err = run(write(tmp_path, HEAD_ON), "--radius-m", "0")
    assert (code, out) == (2, "")
    assert "--radius-m" in err


def test_party_zone_option_shrinks_the_zone_of_that_partys_aircraft(tmp_path: Path) -> None:
    drones = [
        {
            "id": "d1",
            "party": "uss",
            "lat": 50.0,
            "lon": 0.0,
            "alt_m": 100,
            "vn_mps": 0,
            "ve_mps": 0,
            "vs_mps": 0,
        },
        {
            "id": "d2",
            "party": "uss",
            "lat": 50.001,
            "lon": 0.0,
            "alt_m": 100,
            "vn_mps": 0,
            "ve_mps": 0,
            "vs_mps": 0,
        },
    ]
    path = write(tmp_path, drones)
    assert run(path, "--format", "json")[0] == 1
    assert run(path, "--format", "json", "--party-zone", "uss:50:15")[0] == 0


def test_malformed_party_zone_exits_2_naming_the_option(tmp_path: Path) -> None:
    code, out, err = run(write(tmp_path, HEAD_ON), "--party-zone", "uss:fifty:15")
    assert (code, out) == (2, "")
    assert "--party-zone" in err


def test_dash_reads_states_from_stdin() -> None:
    result = runner.invoke(app, ["check", "-", "--format", "json"], input=json.dumps(HEAD_ON))
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)["conflicts"]) == 1
