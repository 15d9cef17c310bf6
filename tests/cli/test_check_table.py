"""The conflict table written directly (``check_table.plain_table``) is rich's, character
for character, and rich still writes it wherever the direct path cannot be sure."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from deconflict.cli.check import (
    CONFLICT_COLUMNS,
    check_raw,
    conflict_rows,
    run_check,
    write_conflict_table,
)
from deconflict.cli.check_table import Row, plain_table
from deconflict.cli.main import app

runner = CliRunner()

# Ids and parties: plain ones, and ones that rich's markup, emoji codes, wide or
# control characters could change (the direct path must hand those to rich).
_ascii = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_odd = st.one_of(
    st.sampled_from(["[bold]x[/]", "a\\[b]", ":smile:", "a:b:c", "é", "日本", "\t", "a\x1bb"]),
    st.text(min_size=1, max_size=6),
)
_name = st.integers(0, 19).flatmap(
    lambda k: (
        _odd
        if k == 0
        else st.text(_ascii, min_size=30, max_size=70)
        if k == 1
        else st.text(_ascii, min_size=1, max_size=12)
    )
)
_reason = st.sampled_from(["higher_priority", "equal_priority", "lower_priority"])


@st.composite
def _rows(draw: st.DrawFn) -> list[Row]:
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        a, pa, b, pb = (draw(_name) for _ in range(4))
        verdict = draw(st.sampled_from(["blocking", "notice"]))
        overlaps = draw(st.integers(1, 3))
        for k in range(overlaps):
            first = k == 0
            vol = f"{draw(st.integers(0, 120))} x {draw(st.integers(0, 9))}"
            lo = draw(st.integers(0, 30000))
            area = draw(st.floats(0, 1e13))
            rows.append(
                Row(
                    (
                        f"{a} ({pa})\n{b} ({pb})" if first else "",
                        f"{verdict}\n{draw(_reason).replace('_', ' ')}" if first else "",
                        vol,
                        "2026-07-01 06:16:43-06:22:17",
                        f"{lo:.0f}-{lo + draw(st.integers(0, 500)):.0f}",
                        f"{area:,.0f}",
                    ),
                    end_section=k == overlaps - 1,
                )
            )
    return rows


def _written(rows: list[Row], plain: bool, width: int, **console: object) -> str:
    buf = io.StringIO()
    out = Console(file=buf, soft_wrap=True, width=width, **console)  # type: ignore[arg-type]
    write_conflict_table(out, f"{len(rows)} conflicts among 9 operations", rows, plain)
    return buf.getvalue()


@settings(max_examples=300, deadline=None)
@given(_rows(), st.integers(20, 200))
def test_the_direct_table_is_riches_character_for_character(rows: list[Row], width: int) -> None:
    assert _written(rows, True, width) == _written(rows, False, width)


@settings(max_examples=50, deadline=None)
@given(_rows())
def test_colours_and_ascii_only_consoles_are_riches_too(rows: list[Row]) -> None:
    colours = {"force_terminal": True, "color_system": "standard"}
    assert _written(rows, True, 132, **colours) == _written(rows, False, 132, **colours)

    def ascii_only(plain: bool) -> str:
        raw = io.BytesIO()
        file = io.TextIOWrapper(raw, encoding="ascii", errors="replace")
        write_conflict_table(Console(file=file, soft_wrap=True, width=132), "t", rows, plain)
        file.flush()
        return raw.getvalue().decode("ascii")

    assert ascii_only(True) == ascii_only(False)


def test_a_plain_row_is_written_directly_and_an_emoji_code_by_rich() -> None:
    """Both halves of the guard are reached: the direct path is taken for plain text,
    and text that rich would change (``:smile:`` becomes an emoji) goes to rich."""
    plain_row = [Row(("a (x)\nb (y)", "blocking\nequal priority", "0 x 0", "t", "1-2", "3"), True)]
    emoji_row = [Row(("a:smile: (x)\nb (y)", "blocking\nequal priority", "0 x 0", "t", "1-2", "3"))]
    out = Console(file=io.StringIO(), soft_wrap=True, width=132)
    assert plain_table(out, "t", CONFLICT_COLUMNS, plain_row, markup_free={0}) is not None
    assert plain_table(out, "t", CONFLICT_COLUMNS, emoji_row, markup_free={0}) is None
    assert "😄" in _written(emoji_row, True, 132)


def test_the_command_prints_the_table_rich_would(tmp_path: Path) -> None:
    """Through the command, on a plan with conflicts: the table printed is the one rich
    prints for the same report."""
    from tests.cli.test_check import feature

    plan = tmp_path / "plan.geojson"
    features = [feature(f"op-{k}", f"p{k % 3}", 0.002 * k, 0.0, priority=k % 2) for k in range(8)]
    plan.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    buf = io.StringIO()
    assert run_check(plan, out=Console(file=buf, soft_wrap=True)) == 1
    report = check_raw(plan.read_bytes(), workers=1)
    rich_buf = io.StringIO()
    out = Console(file=rich_buf, soft_wrap=True, width=132)
    title = f"{len(report.conflicts)} conflicts among 8 operations"
    write_conflict_table(out, title, conflict_rows(report), plain=False)
    assert buf.getvalue() == rich_buf.getvalue()
    assert "op-0 (p0)" in buf.getvalue()
    cli = runner.invoke(app, ["check", str(plan)])
    assert cli.exit_code == 1
    assert rich_buf.getvalue().splitlines()[1] in cli.stdout
