"""``check`` warns about a plan whose operations are over (issue 18: plans dated in the
past were checked without a word). The check itself is unchanged: a past plan may be
checked on purpose (a replay, an investigation)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deconflict.cli.main import app
from tests.cli.test_check import feature


def _plan(tmp_path: Path, start: str, end: str) -> Path:
    features = [
        feature("op-1", "alpha", 8.0, 50.0, time_start=start, time_end=end),
        feature("op-2", "beta", 9.0, 50.0, time_start=start, time_end=end),
    ]
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_a_plan_in_the_past_is_checked_with_a_warning_on_stderr(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "2020-07-01T10:00:00Z", "2020-07-01T10:30:00Z")
    result = CliRunner().invoke(app, ["check", str(plan), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["conflicts"] == []
    assert "warning: 2 of 2 operations end before now" in result.stderr


def test_a_plan_in_the_future_gets_no_warning(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "2099-07-01T10:00:00Z", "2099-07-01T10:30:00Z")
    result = CliRunner().invoke(app, ["check", str(plan)])
    assert result.exit_code == 0
    assert "warning" not in result.stderr
