"""``deconflict zones``: constraints and agreed zones in the database, from and to files.

The operator's tool, working on the database directly like ``deconflict db`` (the API
is the parties' way in). ``import`` writes the whole file in one transaction, so a file
with one bad zone changes nothing; every constraint and zone it writes is told to the
parties concerned exactly as through the API (a ``Notifier`` built from the settings
records the events in the import's transaction; a running server's streams pick them up
from the event log).

Exit codes: 0 done, 2 invalid input or database error (one line on stderr).
"""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from deconflict.airspace.service import AirspaceService
from deconflict.cli.consoles import error_console
from deconflict.cli.db import resolve_url
from deconflict.cli.failure import FAILURES, fail
from deconflict.cli.options import Database
from deconflict.cli.sealing import seal_appends
from deconflict.dss.native_intents import NativeIdentity
from deconflict.io.airspace import Airspace, airspace_geojson, load_airspace
from deconflict.io.ed269 import to_ed269
from deconflict.model.times import rfc3339
from deconflict.notify.recorder import Notifier
from deconflict.service.audit_hooks import audited_sink
from deconflict.settings import LimitsSettings, Settings
from deconflict.store.constraints import SqlAirspaceTransactions
from deconflict.store.sql import open_store

app = typer.Typer(
    name="zones",
    help="Constraints and agreed zones: import (GeoJSON, ED-269), export, list.",
    no_args_is_help=True,
    add_completion=False,
)


class FileFormat(StrEnum):
    GEOJSON = "geojson"
    ED269 = "ed269"


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="GeoJSON or ED-269 JSON ('-' for stdin).")],
    database: Database = None,
    owner: Annotated[
        str, typer.Option(help="Owner of constraints the file does not name one for.")
    ] = "operator",
    geoid_undulation: Annotated[
        float | None,
        typer.Option(help="ED-269 AMSL limits: geoid height N of the area (W84 = AMSL + N)."),
    ] = None,
    ground_min: Annotated[
        float | None, typer.Option(help="ED-269 AGL lower limits: lowest ground, W84 metres.")
    ] = None,
    ground_max: Annotated[
        float | None, typer.Option(help="ED-269 AGL upper limits: highest ground, W84 metres.")
    ] = None,
    changed_by: Annotated[
        str, typer.Option(help="Recorded in zone histories and told to the parties.")
    ] = "operator",
) -> None:
    """Create or replace every constraint and zone in FILE (all or nothing)."""
    try:
        raw = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
        loaded = load_airspace(
            raw,
            owner,
            geoid_undulation_m=geoid_undulation,
            ground_min_m=ground_min,
            ground_max_m=ground_max,
        )
        store = open_store(resolve_url(database))
        seal_appends(store)
        settings = Settings()
        # As the API does: the parties concerned get their events, and USSs subscribed
        # over a native constraint the F3548 notification of its change.
        identity = NativeIdentity(settings.dss.manager, settings.dss.base_url)
        notifier = Notifier(settings.notify, identity=identity)
        try:
            record = audited_sink(notifier.record_events)
            transactions = SqlAirspaceTransactions(
                store, record, tell_usss=notifier.native_constraint_changed
            )
            airspace = AirspaceService(transactions, settings.limits)
            airspace.import_all(loaded.constraints, loaded.zones, changed_by)
        finally:
            store.close()
    except FAILURES as exc:
        raise fail(error_console(), str(exc), exc) from None
    n_constraints, n_zones = len(loaded.constraints), len(loaded.zones)
    typer.echo(f"imported {n_constraints} constraints and {n_zones} zones from {file}")


def _read_all(database: str | None) -> Airspace:
    store = open_store(resolve_url(database))
    try:
        # Reads check no limits: the defaults do, without reading the settings.
        airspace = AirspaceService(SqlAirspaceTransactions(store), LimitsSettings())
        return Airspace(*airspace.everything())
    finally:
        store.close()


@app.command()
def export(
    database: Database = None,
    format: Annotated[FileFormat, typer.Option("--format", help="geojson or ed269.")] = (
        FileFormat.GEOJSON
    ),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout.")] = None,
) -> None:
    """Write every constraint (and, in GeoJSON, every zone) to a file.

    ED-269 has no notion of sectors assigned to parties, so zones are GeoJSON only.
    """
    try:
        airspace = _read_all(database)
    except FAILURES as exc:
        raise fail(error_console(), str(exc), exc) from None
    if format is FileFormat.ED269:
        if airspace.zones:
            error_console().print(
                f"note: {len(airspace.zones)} agreed zones left out (ED-269 cannot hold them)"
            )
        data = to_ed269(airspace.constraints)
    else:
        data = airspace_geojson(airspace)
    raw = orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    if output is None:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
    else:
        output.write_bytes(raw)


@app.command("list")
def list_(database: Database = None) -> None:
    """A table of the constraints and zones in the database."""
    try:
        airspace = _read_all(database)
    except FAILURES as exc:
        raise fail(error_console(), str(exc), exc) from None
    out = Console(soft_wrap=True)
    if not out.is_terminal:
        out.width = max(out.width, 132)
    table = Table(title=f"{len(airspace.constraints)} constraints, {len(airspace.zones)} zones")
    for name in ("id", "kind", "owner", "in force (UTC)", "who may enter", "volumes"):
        table.add_column(name, no_wrap=name != "who may enter")
    for c in airspace.constraints:
        who = {"no_fly": "nobody", "advisory": "anyone"}.get(c.type.value)
        if who is None:
            allowed = sorted(c.allowed_parties)
            if c.allowed_min_priority is not None:
                allowed.append(f"priority >= {c.allowed_min_priority}")
            who = ", ".join(allowed) or "nobody"
        table.add_row(
            c.id, c.type.value, c.owner, _span(c.validity.start, c.validity.end), who,
            str(len(c.volumes)),
        )  # fmt: skip
    for z in airspace.zones:
        table.add_row(
            z.id, f"zone v{z.version}", z.owner, _span(z.validity.start, z.validity.end),
            ", ".join(f"{k}: {s.party}" for k, s in enumerate(z.sectors)), str(len(z.sectors)),
        )  # fmt: skip
    out.print(table)


def _span(start: datetime, end: datetime) -> str:
    return f"{rfc3339(start)} - {rfc3339(end)}"
