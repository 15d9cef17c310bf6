"""Command output counts in words a person would write (issue 18: "1 conflicts")."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.cli.wording import counted
from tests.cli.test_check import feature


def test_one_is_singular_and_any_other_count_plural() -> None:
    assert counted(1, "conflict") == "1 conflict"
    assert counted(0, "conflict") == "0 conflicts"
    assert counted(1200, "operation") == "1,200 operations"
    assert counted(2, "aircraft", "aircraft") == "2 aircraft"


def test_check_reports_one_conflict_in_the_singular(tmp_path: Path) -> None:
    plan = tmp_path / "plan.geojson"
    features = [feature("op-1", "alpha", 8.0, 50.0), feature("op-2", "beta", 8.0, 50.0)]
    plan.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = CliRunner().invoke(app, ["check", str(plan)], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "1 conflict among 2 operations" in result.stdout
    assert "1 conflicts" not in result.stdout


def test_the_constraint_table_is_not_cut_when_stdout_is_a_file() -> None:
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(examples / "plan.geojson"),
            "--constraints",
            str(examples / "zones.geojson"),
        ],
    )
    assert "river-line" in result.stdout
    assert "…" not in result.stdout
