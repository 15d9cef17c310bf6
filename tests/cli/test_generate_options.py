"""``generate`` through Typer: JSON on stdout or in a file, and refused bad counts."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from deconflict.cli.generate import app
from deconflict.synth import generate_plan

runner = CliRunner()


def test_plan_to_stdout_is_the_generated_plan() -> None:
    result = runner.invoke(app, ["--operations", "12", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == generate_plan(12, seed=3)


def test_plan_to_file_with_progress_bar_off_stdout(tmp_path: Path) -> None:
    target = tmp_path / "plan.geojson"
    result = runner.invoke(app, ["--operations", "2000", "--seed", "4", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    data = orjson.loads(target.read_bytes())
    ids = {f["properties"]["operation"] for f in data["features"]}
    assert len(ids) == 2000


def test_negative_count_is_a_usage_error() -> None:
    result = runner.invoke(app, ["--operations", "-5"])
    assert result.exit_code == 2


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-n", "3", "-o", str(tmp_path / "missing" / "plan.geojson")])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
