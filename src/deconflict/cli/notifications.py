"""``deconflict notifications`` (the outbox, dead letters first) and ``deconflict worker``.

``notifications`` reads the database directly, so an operator can see what a party
never received even when the service is down. ``worker`` is the delivery worker alone,
for deployments that scale it apart from the API (``serve`` then runs with
``DECONFLICT_NOTIFY__WORKER_IN_PROCESS=false``).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from deconflict.cli.options import Database, DataDir, database_url
from deconflict.model.times import rfc3339
from deconflict.service.notify_parts import build_worker
from deconflict.settings import Settings
from deconflict.store import outbox
from deconflict.store.codec import from_us
from deconflict.store.sql import SqlStore, open_store


def settings_for(database: str | None, data_dir: Path | None) -> Settings:
    """Environment settings, with the command line's database and data directory."""
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    if database is not None:
        settings = settings.model_copy(update={"database_url": database_url(database)})
    return settings


def open_configured(settings: Settings) -> SqlStore:
    return open_store(settings.resolved_database_url())


def notifications(
    failed: Annotated[bool, typer.Option("--failed", help="Only dead letters.")] = False,
    status: Annotated[
        outbox.OutboxStatus | None, typer.Option(help="Only this status.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, bodies included.")] = False,
    database: Database = None,
    data_dir: DataDir = None,
) -> None:
    """List USS notifications in the outbox; --failed shows the dead letters."""
    store = open_configured(settings_for(database, data_dir))
    wanted = outbox.OutboxStatus.FAILED if failed else status
    try:
        rows = store.run(lambda s: outbox.list_notifications(s.conn, wanted, 0, limit), write=False)
    finally:
        store.close()
    if as_json:
        for r in rows:
            item = {
                "id": r.id,
                "status": r.status.value,
                "url": r.url,
                "kind": r.kind,
                "entity_id": r.entity_id,
                "attempts": r.attempts,
                "created": rfc3339(from_us(r.created_us)),
                "last_error": r.last_error,
                "body": orjson.loads(r.body),
            }
            typer.echo(orjson.dumps(item).decode())
        return
    table = Table(title=f"{len(rows)} notification(s)")
    for column in ("id", "status", "kind", "entity", "url", "attempts", "created", "last error"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r.id),
            r.status.value,
            r.kind,
            r.entity_id,
            r.url,
            str(r.attempts),
            rfc3339(from_us(r.created_us)),
            (r.last_error or "")[:80],
        )
    Console(width=200).print(table)


def worker(
    database: Database = None,
    data_dir: DataDir = None,
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit.")
    ] = False,
) -> None:
    """Run the delivery worker alone (stops cleanly on SIGINT or SIGTERM)."""
    settings = settings_for(database, data_dir)
    store = open_configured(settings)
    delivery = build_worker(store, settings)

    async def main() -> None:
        if once:
            await delivery.drain()
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await delivery.run(stop)

    typer.echo(f"deconflict worker on {settings.resolved_database_url()}", err=True)
    try:
        asyncio.run(main())
    finally:
        store.close()
