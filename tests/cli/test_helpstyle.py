"""Help reads like any command-line tool's (issue 18: it showed `<bool>` and `{file}`)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from deconflict.cli.main import COMMANDS, app


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_no_help_shows_types_in_angle_brackets_or_braces_around_an_argument(name: str) -> None:
    out = _help(name)
    assert not re.search(r"<[a-z_\[\]|]+>", out), out
    assert not re.search(r"\{[a-z_]+\}", out), out


def test_a_required_argument_is_named_in_capitals_in_the_usage_line() -> None:
    usage = next(line for line in _help("check").splitlines() if "Usage:" in line)
    assert usage.strip().endswith("deconflict check [OPTIONS] FILE")


def test_a_valued_option_shows_its_kind_in_capitals() -> None:
    out = _help("generate")
    assert re.search(r"--seed\s+INTEGER", out), out


def test_the_top_level_help_shows_no_bool_either() -> None:
    assert "<bool>" not in _help()


def test_tactical_check_lists_every_state_field_at_the_default_width() -> None:
    # The fields were one unbreakable JSON literal, cut off before vs_mps.
    out = CliRunner().invoke(app, ["tactical", "check", "--help"]).output
    flat = " ".join(re.sub("[│╭╮╰╯─]", " ", out).split())
    for field in ("id", "lat", "lon", "alt_m", "gs_mps", "track_deg", "vs_mps", "vn_mps"):
        assert re.search(rf"\b{field}\b", flat), field
    assert "…" not in out
