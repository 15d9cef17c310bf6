"""``deconflict demo`` and its offline ``--check-only`` (issue 18)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconflict.cli.main import app


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another process (here: a bare listening socket) already holds."""
    with socket.create_server(("127.0.0.1", 0)) as held:
        yield held.getsockname()[1]


def test_the_demo_on_a_held_port_exits_2_naming_the_port_and_plays_nothing(
    held_port: int, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--port", str(held_port), "--data-dir", str(tmp_path / "data")]
    )
    assert result.exit_code == 2, result.output
    assert f"port {held_port}" in result.stderr
    assert "--port" in result.stderr
    assert "running" not in result.stdout
    # Nothing was started: no database was created for a service that never ran.
    assert not (tmp_path / "data" / "deconflict.db").exists()


def test_check_only_exits_with_the_checks_code_instead_of_printing_it() -> None:
    result = CliRunner().invoke(app, ["demo", "--check-only"], terminal_width=200)
    # The bundled valley plan has conflicts: exit 1, as `deconflict check` gives.
    assert result.exit_code == 1, result.output
    assert "Exit code" not in result.output
    assert "conflicts found" in result.output
