"""The command group loads a sub-command's module only when that command is used."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from typer.testing import CliRunner

from deconflict.cli.main import COMMANDS, SUMMARIES, app, load_command


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


def test_top_level_help_does_not_import_the_heavy_libraries() -> None:
    # Issue 18: `deconflict --help` took seconds, because listing the commands loaded them.
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from deconflict.cli.main import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in ('numpy', 'fastapi', 'sqlalchemy', 'spherely') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_summary_is_the_commands_own(name: str) -> None:
    command = load_command(name)
    own = command.help if isinstance(command, click.Group) else command.get_short_help_str(300)
    assert SUMMARIES[name] == (own or "").strip().splitlines()[0]
    out = CliRunner().invoke(app, ["--help"]).output
    flat = " ".join(re.sub("[│╭╮╰╯─]", " ", out).split())
    assert SUMMARIES[name] in flat
