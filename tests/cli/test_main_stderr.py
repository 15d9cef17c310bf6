"""Error messages are one line each when stderr is a file (issue 18: they were wrapped at
80 columns, so a log or a grep cut them in two)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deconflict.cli.main import app
from tests.cli.test_check import feature


def test_a_long_error_message_is_not_hard_wrapped(tmp_path: Path) -> None:
    bad = feature("an-operation-with-a-rather-long-name", "alpha", 8.0, 50.0)
    bad["properties"]["time_start"] = "2026-07-01T11:00:00Z"  # after its end
    plan = tmp_path / "plan.geojson"
    plan.write_text(json.dumps({"type": "FeatureCollection", "features": [bad]}))
    result = CliRunner().invoke(app, ["check", str(plan)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert len(lines[0]) > 80
    assert "time_start" in lines[0] and "after" in lines[0]
