"""Help in the style people know from other command-line tools.

Typer 0.29 labels every option with a type in angle brackets, flags included
(``--check-only <bool>``, ``--help <bool>``), and wraps a required argument in braces
on the usage line (``deconflict check [OPTIONS] {file}``). A newcomer read those as
syntax to type. Here a flag shows no type, a valued option shows its kind in capitals
(``INTEGER``, ``TEXT``, ``PATH``), and an argument is named in capitals (``FILE``,
``[FILE]`` when optional). Applied once, when the command group is imported, to
Typer's own option and argument classes: the ``--help`` option of every command is
made by Typer at run time, so adjusting each command's parameters would miss it.
"""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperArgument, TyperOption

WORDS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN"}


def plain_type(label: str) -> str:
    """``<int>`` -> ``INTEGER``, ``<list[str]>`` -> ``TEXT...``, ``<a|b>`` -> ``[a|b]``."""
    inner = label.removeprefix("<").removesuffix(">")
    listed = re.fullmatch(r"list\[(.*)\]", inner)
    if listed:
        return plain_type(listed.group(1)) + "..."
    if "|" in inner:
        return f"[{inner}]"
    return " ".join(WORDS.get(word, word.upper()) for word in inner.split())


_option_type = TyperOption.display_type_rich


def _display_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    shown = _option_type(self, ctx)
    return None if shown is None or self.metavar is not None else plain_type(shown)


_argument_type = TyperArgument.display_type_rich


def _argument_display_type(self: TyperArgument, ctx: Any) -> str | None:
    shown = _argument_type(self, ctx)
    return None if shown is None else plain_type(shown)


def _usage_name(self: TyperArgument) -> str:
    name = self.metavar or (self.name or "").upper()
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def _argument_name(self: TyperArgument) -> str:
    return self.metavar or (self.name or "").upper()


def apply() -> None:
    """Install the plain style (idempotent)."""
    TyperOption.display_type_rich = _display_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_display_type  # type: ignore[method-assign,assignment]
    TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
    TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[assignment]
