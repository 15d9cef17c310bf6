"""``deconflict db``: schema migrations, the integrity check, export and import.

Only ``upgrade`` and ``import`` change the schema (the store migrates on open);
``check`` and ``export`` open the database as it is, so that checking an old database
reports its old revision instead of silently upgrading it first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import create_engine

from deconflict.cli.consoles import error_console
from deconflict.cli.failure import FAILURES, fail
from deconflict.cli.options import Database, database_url
from deconflict.errors import NoDatabase
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore, open_store

if TYPE_CHECKING:
    from deconflict.store.transfer import Progress as Report

T = TypeVar("T")

app = typer.Typer(
    name="db",
    help="Database maintenance: migrate, check integrity, export and import (JSON Lines).",
    no_args_is_help=True,
    add_completion=False,
)


def resolve_url(database: str | None) -> str:
    """Like ``deconflict serve``: a bare path is a SQLite file; nothing means the default."""
    if database is None:
        return Settings().resolved_database_url()
    return database_url(database)


def open_existing(url: str) -> SqlStore:
    """The store without migrating it; a SQLite file must already exist.

    ``open_store`` would create and upgrade the database: right for the service, wrong
    for a command whose job is to report what is there.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise NoDatabase(f"no database at {path}")
        engine = create_engine(url, connect_args={"timeout": 30})
        return SqlStore(engine.execution_options(isolation_level="AUTOCOMMIT"))
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return SqlStore(create_engine(url, pool_pre_ping=True))


def _opened(console: Console, opener: Callable[[str], SqlStore], database: str | None) -> SqlStore:
    """The store ``opener`` opens at ``database``; a failure exits as ``fail`` says."""
    try:
        return opener(resolve_url(database))
    except FAILURES as exc:
        raise fail(console, str(exc), exc) from None


def _with_progress(
    console: Console,
    store: SqlStore,
    label: str,
    work: Callable[[Report], T],
    failed: str = "",
) -> T:
    """Run ``work`` with a progress bar it reports to, then close ``store``; a failure
    exits with its message (and ``failed`` after it)."""
    try:
        with Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task(label, total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return work(report)
    except FAILURES as exc:
        raise fail(console, f"{exc}{failed}", exc) from None
    finally:
        store.close()


@app.command()
def upgrade(database: Database = None) -> None:
    """Migrate the database to the latest schema (creating it if needed)."""
    from deconflict.store.integrity import current_revision, snapshot

    console = error_console()
    store = _opened(console, open_store, database)
    try:
        with snapshot(store) as conn:
            console.print(f"database at schema revision {current_revision(conn)} (latest)")
    finally:
        store.close()


@app.command()
def check(database: Database = None) -> None:
    """Check every invariant the service relies on; exit 1 and list the problems if any."""
    from deconflict.store.integrity import check as integrity_check

    console = Console()
    store = _opened(console, open_existing, database)
    try:
        problems = integrity_check(store)
    finally:
        store.close()
    if not problems:
        console.print("[green]ok[/green]: no problems found")
        return
    console.print(f"[red]{len(problems)} problem(s)[/red]:")
    for p in problems:
        console.print(f"  {p.kind:<24} {p.subject:<40} {p.detail}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="Where to write the JSON Lines export.")],
    database: Database = None,
) -> None:
    """Write every operation (and DSS record) to FILE, from one consistent snapshot."""
    from deconflict.store.transfer import export_jsonl

    console = error_console()
    store = _opened(console, open_existing, database)

    def work(report: Report) -> dict[str, int]:
        with file.open("wb") as out:
            return export_jsonl(store, out, report)

    counts = _with_progress(console, store, "export", work)
    console.print(f"exported {_summary(counts)} to {file}")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A file written by `deconflict db export`.")],
    database: Database = None,
) -> None:
    """Load FILE into an empty database, all or nothing (one transaction)."""
    from deconflict.store.transfer import import_jsonl

    console = error_console()
    if not file.is_file():
        raise fail(console, f"no file {file}")
    store = _opened(console, open_store, database)

    def work(report: Report) -> dict[str, int]:
        with file.open("rb") as src:
            return import_jsonl(store, src, report)

    counts = _with_progress(console, store, "import", work, " (nothing was imported)")
    console.print(f"imported {_summary(counts)}")


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "nothing"
