"""The conflict table of ``deconflict check``: rich's layout, written straight as text
when the output is plain.

Rich lays a table out cell by cell (markup parsed, every line measured, cut into
segments and styled): 4.7 CPU-s for the 5,400 rows of a 100,000-operation plan, more
than the whole check, and all of it in one process after the check is done. When the
output carries no colour (a file or a pipe: what a large plan's table is written to),
the same characters follow from a few rules (each column as wide as its widest line,
one space of padding, lines justified per column, rich's box characters), and
``plain_table`` writes them directly. It returns None, and the caller asks rich, in any
case where those rules might not be rich's: colours or a recording console, a table
wider than the console (rich would then shrink and wrap columns), a title wider than
the table, or any text that is not plain printable ASCII or that rich's markup or emoji
codes would change. A property test holds the text to rich's on random reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape

Justify = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Column:
    header: str
    justify: Justify = "left"
    no_wrap: bool = False


@dataclass(frozen=True)
class Row:
    """One table row: each cell's lines as plain text (the first column's and second's
    may be empty), and whether a section line follows it."""

    cells: tuple[str, ...]
    end_section: bool = False


def plain_table(
    out: Console, title: str, columns: list[Column], rows: list[Row], *, markup_free: set[int]
) -> str | None:
    """The table as rich would print it on ``out`` (title line included), or None when
    rich might print it otherwise. ``markup_free``: the columns whose text goes to rich
    escaped (user text); the others hold no user text, only the style markup the caller
    wraps round them, which this leaves out (plain output carries no style)."""
    if out.color_system is not None or out.record or out.is_jupyter:
        return None
    widths = [cell_len(c.header) for c in columns]
    checked: set[str] = set()
    for row in rows:
        for k, text in enumerate(row.cells):
            if k in markup_free and text not in checked:
                if not _plain(out, text):
                    return None
                checked.add(text)
            for line in text.split("\n"):
                if len(line) > widths[k]:
                    widths[k] = len(line)
    inner = [w + 2 for w in widths]  # one space of padding on each side
    table_width = sum(inner) + len(columns) + 1
    if table_width > out.width or cell_len(title) > table_width or not _plain(out, title):
        return None
    frame = box.HEAVY_HEAD.substitute(out.options, safe=out.safe_box)
    lines = [title, frame.get_top(inner)]
    header = [_justify(c.header, w, c.justify) for c, w in zip(columns, widths, strict=True)]
    lines.append(frame.head_left + frame.head_vertical.join(header) + frame.head_right)
    lines.append(frame.get_row(inner, "head", edge=True))
    section = frame.get_row(inner, "row", edge=True)
    justify = [c.justify for c in columns]
    for n, row in enumerate(rows):
        last = n == len(rows) - 1
        left, middle, right = (
            (frame.foot_left, frame.foot_vertical, frame.foot_right)
            if last
            else (frame.mid_left, frame.mid_vertical, frame.mid_right)
        )
        split = [text.split("\n") for text in row.cells]
        height = max(len(s) for s in split)
        for h in range(height):
            cells = [
                _justify(s[h] if h < len(s) else "", w, j)
                for s, w, j in zip(split, widths, justify, strict=True)
            ]
            lines.append(left + middle.join(cells) + right)
        if row.end_section and not last:
            lines.append(section)
    lines.append(frame.get_bottom(inner))
    return "\n".join(lines) + "\n"


def _justify(text: str, width: int, how: Justify) -> str:
    """The cell's line padded to the column's width, with one space each side."""
    excess = width - len(text)
    if how == "right":
        return " " * (excess + 1) + text + " "
    if how == "center":
        before = excess // 2
        return " " * (before + 1) + text + " " * (excess - before + 1)
    return " " + text + " " * (excess + 1)


def _plain(out: Console, text: str) -> bool:
    """Rich prints the escaped text as it is: printable ASCII lines (one cell per
    character), and no markup escape (a backslash before a bracket) nor emoji code
    that rich would still read, which its own rendering of the text tells."""
    for line in text.split("\n"):
        if not (line.isascii() and line.isprintable()):
            return False
    if not any(c in text for c in _MARKUP_CHARACTERS):
        return True
    return out.render_str(escape(text)).plain == text


_MARKUP_CHARACTERS = ":[]\\"
"""Characters that may start an emoji code or take part in markup."""
