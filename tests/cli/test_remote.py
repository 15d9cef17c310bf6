"""The commands that call a running service refuse a token that cannot be sent."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from deconflict.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize("token", ["", "   ", "two words", "tab\there", "naïve"])
@pytest.mark.parametrize("command", ["operations", "submit"])
def test_a_token_that_cannot_be_a_header_is_exit_2_naming_the_option(
    command: str, token: str
) -> None:
    """An empty token (a failed ``$(deconflict token ...)``) was a traceback from the HTTP
    library; it is the user's to fix, so exit 2 naming ``--token``."""
    args = [command, "--url", "http://127.0.0.1:9", "--token", token]
    if command == "submit":
        args.append("plan.geojson")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "--token" in result.output
    assert "Traceback" not in result.output
