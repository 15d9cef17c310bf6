"""The README's command table matches ``deconflict --help`` (issue 18, done when)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.core import TyperGroup

from deconflict.cli.main import COMMANDS, load_command

README = Path(__file__).resolve().parents[2] / "README.md"


def _rows() -> dict[str, str]:
    """Top-level command -> the text of its rows in the command table."""
    rows: dict[str, str] = {}
    for line in README.read_text().splitlines():
        if line.startswith("| `deconflict "):
            cell = line.split("|")[1]
            for name in re.findall(r"`deconflict ([a-z-]+)", cell):
                rows[name] = rows.get(name, "") + " " + cell
    return rows


def test_the_table_names_exactly_the_commands_of_the_cli() -> None:
    assert set(_rows()) == set(COMMANDS)


@pytest.mark.parametrize(
    "group", sorted(n for n in COMMANDS if isinstance(load_command(n), TyperGroup))
)
def test_a_groups_row_names_exactly_its_subcommands(group: str) -> None:
    command = load_command(group)
    assert isinstance(command, TyperGroup)
    row = _rows()[group]
    named = set(re.findall(rf"`deconflict {group} ([a-z-]+)", row))
    named |= set(re.findall(r"/ `([a-z-]+)", row))
    named |= set(re.findall(rf"`{group} ([a-z-]+)", row))
    named.discard(group)  # "`deconflict scenario list` / `scenario run NAME`"
    assert named == set(command.commands)
