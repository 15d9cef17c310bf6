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
from typing import Annotated, Any, BinaryIO

import httpx
import orjson
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deconflict.audit.chain import record_is_intact
from deconflict.audit.entry import AuditEntry
from deconflict.audit.keys import audit_key_if_present, audit_public_key_path, load_audit_public_key
from deconflict.audit.party import (
    checkpoints_in_stream,
    export_problem,
    read_signed,
    receipt_in_export,
)
from deconflict.audit.statements import CHECKPOINT, RECEIPT, checked
from deconflict.cli.consoles import error_console
from deconflict.cli.db import open_existing, resolve_url
from deconflict.cli.failure import FAILURES, fail
from deconflict.cli.options import Database, DataDir
from deconflict.cli.sealing import seal_appends
from deconflict.errors import AuditKeyError, BadStatement
from deconflict.model.times import rfc3339
from deconflict.settings import Settings
from deconflict.store.audit import (
    chain_pending,
    checkpoint_problem,
    export_subject,
    has_sealed_pending,
    pending_summary,
    receipt_places,
    refused_entries,
    unsealed_pending,
    verify_store,
)
from deconflict.store.codec import from_us
from deconflict.store.integrity import current_revision, head_revision
from deconflict.store.sql import SqlStore

app = typer.Typer(
    name="audit",
    help="The tamper-evident audit log: verify the chain, export a party's entries.",
    no_args_is_help=True,
    add_completion=False,
)


def _open(console: Console, database: str | None) -> SqlStore:
    """The store, at the schema this code reads (older: exit 2 saying how to upgrade)."""
    try:
        store = open_existing(resolve_url(database))
        with store.session() as s:
            have, want = current_revision(s.conn), head_revision(s.conn)
    except FAILURES as exc:
        raise fail(console, str(exc), exc) from None
    if have != want:
        store.close()
        raise fail(
            console,
            f"the database is at schema revision {have}, this version reads {want}: "
            "run `deconflict db upgrade` first",
        )
    return store


def _chain(console: Console, store: SqlStore, data_dir: Path | None) -> int:
    """Chain pending entries as the service would: with the data dir's audit key, so
    that unsealed rows are set aside. Without a key, only a log no keyed service wrote
    to is chained (its seals could not be checked); returns how many rows were taken."""
    if not seal_appends(store, _data_dir(data_dir)):
        with store.session() as s:
            sealed = has_sealed_pending(s.conn)
        if sealed:
            console.print(
                f"pending entries not chained: they are sealed, and {_data_dir(data_dir)} "
                "holds no audit key to check them (give --data-dir)",
                soft_wrap=True,
                highlight=False,
            )
            return 0
        console.print("no audit key in the data dir: seals are not checked")
    return chain_pending(store)


KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="The service's public audit key (PEM); default: audit/audit-key.pub.pem "
        "in the data dir.",
        show_default=False,
    ),
]


def _data_dir(data_dir: Path | None) -> Path:
    return data_dir if data_dir is not None else Settings().data_dir


def _public_key(console: Console, key: Path | None, data_dir: Path | None) -> Ed25519PublicKey:
    try:
        return load_audit_public_key(key or audit_public_key_path(_data_dir(data_dir)))
    except AuditKeyError as exc:
        raise fail(console, str(exc), exc) from None


def _statements(
    console: Console, file: Path, public: Ed25519PublicKey, kind: str
) -> list[dict[str, Any]]:
    """The statements of ``file``, each signature checked (exit 1 naming a bad one)."""
    try:
        signed = read_signed(file.read_bytes())
    except OSError as exc:
        raise fail(console, str(exc), exc) from None
    except (BadStatement, orjson.JSONDecodeError) as exc:
        raise fail(console, f"{file}: {exc}") from None
    if not signed:
        raise fail(console, f"{file} holds no signed statement")
    found = []
    for number, doc in enumerate(signed, 1):
        try:
            found.append(checked(doc, public, kind))
        except BadStatement as exc:
            typer.echo(f"FAILED: statement {number} of {file} is not genuine: {exc}")
            raise typer.Exit(1) from None
    return found


@app.command()
def verify(
    database: Database = None,
    chain: Annotated[
        bool,
        typer.Option(
            "--chain/--no-chain",
            help="Link pending entries first, checking their seals (default: report them).",
        ),
    ] = False,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="Signed checkpoints a party kept (file of one or more): the log must "
            "still hold each.",
        ),
    ] = None,
    key: KeyOption = None,
    data_dir: DataDir = None,
) -> None:
    """Recompute the chain; name the first altered, missing, inserted or moved entry.

    Pending entries (appended, not yet chained) are listed, not chained: a row forged
    into the queue must not become history by being verified. With checkpoints, a
    truncated or wholly rewritten log is caught too.

    Exit 0 when the chain is intact, 1 when it is not, 2 when it could not be read.
    """
    err = error_console()
    statements: list[dict[str, Any]] = []
    if checkpoint:
        public = _public_key(err, key, data_dir)
        for file in checkpoint:
            statements += _statements(err, file, public, CHECKPOINT)
    store = _open(err, database)
    try:
        audit_key = audit_key_if_present(_data_dir(data_dir))
        if chain and (linked := _chain(err, store, data_dir)):
            err.print(f"chained {linked} pending entries")
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
        with store.session() as s:
            problems = [p for p in (checkpoint_problem(s.conn, st) for st in statements) if p]
            waiting, oldest = pending_summary(s.conn)
            unsealed = unsealed_pending(s.conn, audit_key) if audit_key is not None else []
            refused = refused_entries(s.conn)
    except FAILURES as exc:
        raise fail(err, str(exc), exc) from None
    finally:
        store.close()
    failed = False
    if verdict.fault is not None:
        f = verdict.fault
        typer.echo(f"FAILED at seq {f.seq} ({f.kind.value}): {f.message}")
        typer.echo(f"{verdict.checked} entries before it are intact")
        failed = True
    else:
        typer.echo(f"ok: {verdict.checked} entries, head {verdict.head.hash}")
    for problem in problems:
        typer.echo(f"FAILED checkpoint: {problem}")
    if statements and not problems:
        typer.echo(f"ok: the log holds all {len(statements)} checkpoints")
    if waiting:
        typer.echo(
            f"pending: {waiting} entries appended since {_when(oldest)} are not chained yet "
            "(listed, not verified)"
        )
    for pending_id, e in unsealed:
        typer.echo(
            f"FAILED pending id {pending_id}: not sealed by this service's key (forged "
            f"into audit_pending?): {_summary(e)}"
        )
    for pending_id, refused_us, e in refused:
        typer.echo(
            f"FAILED refused id {pending_id}: the chainer refused it at {_when(refused_us)}, "
            f"not sealed by the service: {_summary(e)}"
        )
    if failed or problems or unsealed or refused:
        raise typer.Exit(1)


def _when(at_us: int | None) -> str:
    return "?" if at_us is None else rfc3339(from_us(at_us))


def _summary(e: AuditEntry) -> str:
    return f"{e.kind} by {e.actor!r} about {e.subject!r} on {e.object_kind} {e.object_id!r}"


@app.command("export")
def export_command(
    party: Annotated[str, typer.Option("--party", help="The party whose record to export.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="JSON Lines file; default: standard output."),
    ] = None,
    database: Database = None,
    data_dir: DataDir = None,
) -> None:
    """Every entry about PARTY (changes of its objects, what of its data was shown to
    whom, messages to it, failed logins in its name), one JSON object a line: each with
    its salt, its place in PARTY's own chain and its leaf, nothing of other parties'."""
    err = error_console()
    store = _open(err, database)
    try:
        if linked := _chain(err, store, data_dir):
            err.print(f"chained {linked} pending entries")
        target: BinaryIO
        with output.open("wb") if output is not None else nullcontext(sys.stdout.buffer) as target:
            n = export_subject(store, party, target)
    except FAILURES as exc:
        raise fail(err, str(exc), exc) from None
    finally:
        store.close()
    err.print(f"exported {n} entries about {party}" + (f" to {output}" if output else ""))


@app.command()
def chain(database: Database = None, data_dir: DataDir = None) -> None:
    """Link pending entries into the chain now (the service does this by itself).

    With the data dir's audit key, entries it did not seal are refused (set aside and
    listed by ``verify``), as the service's chainer does.
    """
    err = error_console()
    store = _open(err, database)
    try:
        n = _chain(err, store, data_dir)
    except FAILURES as exc:
        raise fail(err, str(exc), exc) from None
    finally:
        store.close()
    typer.echo(f"chained {n} pending entries")


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="A file written by `deconflict audit export`.")],
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="Signed checkpoints the party kept: the export must hold what they vouch for.",
        ),
    ] = None,
    key: KeyOption = None,
    data_dir: DataDir = None,
) -> None:
    """Check an export without any database: every line against its own hash, the
    party's own chain from line to line, and (with checkpoints) that nothing they
    vouch for was removed or rewritten.

    Exit 0 when all hold, 1 naming the first that does not, 2 when unreadable.
    """
    err = error_console()
    statements: list[dict[str, Any]] = []
    if checkpoint:
        public = _public_key(err, key, data_dir)
        for cp in checkpoint:
            statements += _statements(err, cp, public, CHECKPOINT)
    records = _records(err, file)
    problem = export_problem(records, statements)
    if problem is not None:
        typer.echo(f"FAILED: {problem}")
        raise typer.Exit(1)
    typer.echo(f"ok: {len(records)} entries match their hashes")
    if statements:
        typer.echo(f"ok: the export holds all {len(statements)} checkpoints")


def _records(console: Console, file: Path) -> list[dict[str, Any]]:
    try:
        lines = file.read_bytes().splitlines()
    except OSError as exc:
        raise fail(console, str(exc), exc) from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            typer.echo(f"FAILED at line {number}: not JSON")
            raise typer.Exit(1) from None
        if not isinstance(record, dict) or not record_is_intact(record):
            typer.echo(f"FAILED at line {number} (seq {_seq(record)}): it does not match its hash")
            raise typer.Exit(1)
        records.append(record)
    return records


@app.command("check-receipt")
def check_receipt(
    file: Annotated[
        Path, typer.Argument(help="A receipt: the Deconflict-Receipt header value, or its JSON.")
    ],
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Look in this party export instead of the database."),
    ] = None,
    database: Database = None,
    key: KeyOption = None,
    data_dir: DataDir = None,
) -> None:
    """Check that what a receipt says the service accepted is in the history.

    Against the database: each entry must be chained (its seq is named). Against a
    party's export (``--export``, no database needed): each must be in it.
    Exit 0 when all are, 1 when one is missing, pending or the receipt is not genuine,
    2 when unreadable.
    """
    err = error_console()
    public = _public_key(err, key, data_dir)
    receipts = _statements(err, file, public, RECEIPT)
    if export is not None:
        records = _records(err, export)
        missing = [m for r in receipts for m in receipt_in_export(r, records)]
        for m in missing:
            typer.echo(f"FAILED: {m}: accepted, but not in the export")
        if missing:
            raise typer.Exit(1)
        typer.echo(f"ok: the export holds all {sum(len(r['entries']) for r in receipts)} entries")
        return
    store = _open(err, database)
    try:
        with store.session() as s:
            places = [p for r in receipts for p in receipt_places(s.conn, r)]
    except FAILURES as exc:
        raise fail(err, str(exc), exc) from None
    finally:
        store.close()
    bad = False
    for what, seq in places:
        if seq is None:
            typer.echo(f"FAILED: {what}: accepted, but the log has no such entry (removed?)")
            bad = True
        elif seq == 0:
            typer.echo(f"pending: {what}: appended, not chained yet; check again shortly")
            bad = True
        else:
            typer.echo(f"ok: {what}: entry seq {seq}")
    if bad:
        raise typer.Exit(1)


@app.command()
def checkpoints(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file the party keeps its checkpoints in.")
    ],
    url: Annotated[
        str, typer.Option(envvar="DECONFLICT_URL", help="Service base URL.")
    ] = "http://127.0.0.1:8080",
    token: Annotated[
        str, typer.Option(envvar="DECONFLICT_TOKEN", help="The party's bearer token.")
    ] = "",
) -> None:
    """Save the signed checkpoints of your event stream (as a party) to OUTPUT.

    Reads the events the service still keeps, without waiting for new ones, and appends
    the checkpoints OUTPUT does not hold yet, one JSON object a line: run it more often
    than the service's event retention. Exit 2 when the service cannot be read.
    """
    err = error_console()
    if not token:
        raise fail(err, "--token (or DECONFLICT_TOKEN) is required")
    try:
        r = httpx.get(
            f"{url.rstrip('/')}/v1/events",
            params={"follow": "false"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60.0,
        )
    except httpx.HTTPError as exc:
        raise fail(err, f"cannot read {url}: {exc}") from None
    if r.status_code != 200:
        raise fail(err, f"{url} answered {r.status_code}: {r.text[:200]}")
    try:
        held = {str(d.get("sig")) for d in map(_as_dict, read_signed(output.read_bytes()))}
    except FileNotFoundError:
        held = set()
    except (OSError, BadStatement, orjson.JSONDecodeError) as exc:
        raise fail(err, f"{output}: {exc}") from None
    new = [c for c in checkpoints_in_stream(r.text) if str(c.get("sig")) not in held]
    try:
        with output.open("ab") as out:
            for c in new:
                out.write(orjson.dumps(c, option=orjson.OPT_SORT_KEYS) + b"\n")
    except OSError as exc:
        raise fail(err, str(exc), exc) from None
    typer.echo(f"saved {len(new)} new checkpoints to {output} ({len(held) + len(new)} in all)")


def _as_dict(doc: object) -> dict[str, Any]:
    return doc if isinstance(doc, dict) else {}


def _seq(record: object) -> object:
    return record.get("seq", "?") if isinstance(record, dict) else "?"
