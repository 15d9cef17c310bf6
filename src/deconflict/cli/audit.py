"""``deconflict audit``: check the hash chain, give a party its record (and let it
check that record), chain now.

These commands read the database directly, so an operator can check the log while the
service is down, and a party's export does not depend on the service's honesty about
itself: the hashes in it can be compared with a later ``verify``'s head.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, BinaryIO

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deconflict.audit.chain import record_is_intact
from deconflict.cli.db import FAILURES, open_existing, resolve_url
from deconflict.cli.options import Database
from deconflict.store.audit import chain_pending, export_subject, verify_store
from deconflict.store.sql import SqlStore

app = typer.Typer(
    name="audit",
    help="The tamper-evident audit log: verify the chain, export a party's entries.",
    no_args_is_help=True,
    add_completion=False,
)


def _open(console: Console, database: str | None) -> SqlStore:
    try:
        return open_existing(resolve_url(database))
    except FAILURES as exc:
        raise _fail(console, str(exc)) from None


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _chain(console: Console, store: SqlStore) -> None:
    linked = chain_pending(store)
    if linked:
        console.print(f"chained {linked} pending entries")


@app.command()
def verify(
    database: Database = None,
    chain: Annotated[
        bool,
        typer.Option(
            "--chain/--no-chain",
            help="Link pending entries first (--no-chain: leave the database untouched).",
        ),
    ] = True,
) -> None:
    """Recompute the chain; name the first altered, missing, inserted or moved entry.

    Exit 0 when the chain is intact, 1 when it is not, 2 when it could not be read.
    """
    err = Console(stderr=True)
    store = _open(err, database)
    try:
        if chain:
            _chain(err, store)
        with Progress(
            TextColumn("verify"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("verify", total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            verdict = verify_store(store, report)
    except FAILURES as exc:
        raise _fail(err, str(exc)) from None
    finally:
        store.close()
    if verdict.fault is not None:
        f = verdict.fault
        typer.echo(f"FAILED at seq {f.seq} ({f.kind.value}): {f.message}")
        typer.echo(f"{verdict.checked} entries before it are intact")
        raise typer.Exit(1)
    typer.echo(f"ok: {verdict.checked} entries, head {verdict.head.hash}")


@app.command("export")
def export_command(
    party: Annotated[str, typer.Option("--party", help="The party whose record to export.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="JSON Lines file; default: standard output."),
    ] = None,
    database: Database = None,
) -> None:
    """Every entry about PARTY (changes of its objects, what of its data was shown to
    whom, messages to it, failed logins in its name), one JSON object a line, each with
    its seq and hash."""
    err = Console(stderr=True)
    store = _open(err, database)
    try:
        _chain(err, store)
        target: BinaryIO
        with output.open("wb") if output is not None else nullcontext(sys.stdout.buffer) as target:
            n = export_subject(store, party, target)
    except FAILURES as exc:
        raise _fail(err, str(exc)) from None
    finally:
        store.close()
    err.print(f"exported {n} entries about {party}" + (f" to {output}" if output else ""))


@app.command()
def chain(database: Database = None) -> None:
    """Link pending entries into the chain now (the service does this by itself)."""
    err = Console(stderr=True)
    store = _open(err, database)
    try:
        n = chain_pending(store)
    except FAILURES as exc:
        raise _fail(err, str(exc)) from None
    finally:
        store.close()
    typer.echo(f"chained {n} pending entries")


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="A file written by `deconflict audit export`.")],
) -> None:
    """Check every line of an export against its own hash, without any database.

    Exit 0 when all match, 1 naming the first line that does not, 2 when unreadable.
    """
    err = Console(stderr=True)
    try:
        lines = file.read_bytes().splitlines()
    except OSError as exc:
        raise _fail(err, str(exc)) from None
    for number, line in enumerate(lines, 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            typer.echo(f"FAILED at line {number}: not JSON")
            raise typer.Exit(1) from None
        if not isinstance(record, dict) or not record_is_intact(record):
            typer.echo(f"FAILED at line {number} (seq {_seq(record)}): it does not match its hash")
            raise typer.Exit(1)
    typer.echo(f"ok: {len(lines)} entries match their hashes")


def _seq(record: object) -> object:
    return record.get("seq", "?") if isinstance(record, dict) else "?"
