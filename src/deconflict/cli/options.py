"""Options several commands share, and what a ``--database`` value means.

Kept light (no SQLAlchemy, no service): ``serve`` and the maintenance commands import
it alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="SQLite file or postgresql:// URL; default: deconflict.db in the data dir.",
        show_default=False,
    ),
]

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="DECONFLICT_DATA_DIR", help="Data directory."),
]


def database_url(database: str) -> str:
    """A ``--database`` value as a URL: a bare path is a SQLite file."""
    return database if "://" in database else f"sqlite:///{Path(database).resolve()}"
