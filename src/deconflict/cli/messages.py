"""``deconflict messages list`` and ``deconflict messages escalate``: the hotline for
operators, straight from the database.

``list`` works while the service is down (what was said, what went unanswered).
``escalate`` is the escalation loop alone, for deployments where ``serve`` runs with
``DECONFLICT_HOTLINE__ESCALATION_IN_PROCESS=false``; ``--once`` escalates what is
overdue now and exits (e.g. from a timer). Parties send and acknowledge through the
API (see docs/hotline.md).
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from deconflict.cli.notifications import open_configured, settings_for
from deconflict.cli.options import Database, DataDir
from deconflict.hotline.events import view
from deconflict.hotline.model import MessageQuery, MessageStatus, Role
from deconflict.model.times import rfc3339
from deconflict.notify.recorder import Notifier
from deconflict.service.hotline_parts import HotlineParts
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore

app = typer.Typer(
    help="Hotline messages: list them, run the escalation.",
    no_args_is_help=True,
    add_completion=False,
)


def _runtime(store: SqlStore, settings: Settings) -> HotlineParts:
    return HotlineParts(store, settings, Notifier(settings.notify))


@app.command("list")
def list_messages(
    party: Annotated[
        str | None, typer.Option(help="Only messages sent or received by this party.")
    ] = None,
    status: Annotated[
        MessageStatus | None, typer.Option(help="Only this status.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, texts included.")] = False,
    database: Database = None,
    data_dir: DataDir = None,
) -> None:
    """Every party's messages (the operator's view), newest first."""
    settings = settings_for(database, data_dir)
    store = open_configured(settings)
    try:
        q = MessageQuery(party=party, role=Role.ANY, status=status, limit=limit)
        found = _runtime(store, settings).hotline.messages(q)
    finally:
        store.close()
    if as_json:
        for m in found:
            typer.echo(
                orjson.dumps(view(m, settings.hotline.operator_party, operator=True)).decode()
            )
        return
    table = Table(title=f"{len(found)} message(s)")
    for column in ("id", "from", "to", "conflict", "status", "created", "deadline", "text"):
        table.add_column(column)
    for m in found:
        table.add_row(
            m.id,
            m.sender,
            m.recipient,
            m.conflict_id or "",
            m.status.value,
            rfc3339(m.created),
            rfc3339(m.deadline),
            m.text[:60],
        )
    Console(width=200).print(table)


@app.command()
def escalate(
    once: Annotated[
        bool, typer.Option("--once", help="Escalate what is overdue now, then exit.")
    ] = False,
    database: Database = None,
    data_dir: DataDir = None,
) -> None:
    """Run the escalation loop alone (stops cleanly on SIGINT or SIGTERM)."""
    settings = settings_for(database, data_dir)
    store = open_configured(settings)
    hotline = _runtime(store, settings).hotline
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    try:
        while True:
            for m in hotline.escalate_due():
                typer.echo(f"escalated {m.id} ({m.sender} -> {m.recipient})")
            if once or stop.wait(settings.hotline.escalation_interval_s):
                return
    finally:
        store.close()
