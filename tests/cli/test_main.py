"""The command group loads a sub-command's module only when that command is used."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from deconflict.cli.main import COMMANDS, app, load_command


def test_a_light_command_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from deconflict.cli.main import app\n"
        "assert CliRunner().invoke(app, ['version']).exit_code == 0\n"
        "print(sorted(m for m in ('numpy', 'fastapi', 'sqlalchemy', 'spherely') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_under_its_own_name(name: str) -> None:
    assert load_command(name).name == name


def test_help_lists_every_command() -> None:
    out = CliRunner().invoke(app, ["--help"], terminal_width=200).output
    assert all(name in out for name in COMMANDS)
