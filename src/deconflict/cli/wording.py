"""Counts in words: "1 conflict", "2 conflicts".

One helper so that no command prints "1 conflicts": output a person reads first is
where a careless plural makes the whole tool look careless.
"""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (``plural`` for irregular nouns)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
