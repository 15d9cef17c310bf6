"""``deconflict tactical``: run the tactical detector on a file of state vectors.

Exit codes are the interface for scripts: 0 no conflicts, 1 conflicts, 2 invalid input
(with the message on stderr and nothing on stdout, so a pipeline never parses half an
answer).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Literal

import orjson
import typer
from rich.console import Console
from rich.table import Table

from deconflict.errors import InvalidInput
from deconflict.tactical.detect import conflict_records, detect
from deconflict.tactical.separation import (
    DEFAULT_HALF_HEIGHT_M,
    DEFAULT_LOOKAHEAD_S,
    DEFAULT_RADIUS_M,
    ProtectedZone,
    TacticalParams,
)
from deconflict.tactical.state import parse_states

app = typer.Typer(
    name="tactical",
    help="Tactical deconfliction: predicted losses of separation from live state vectors.",
    no_args_is_help=True,
    add_completion=False,
)


class OutputFormat(StrEnum):
    """How ``check`` prints its result."""

    JSON = "json"
    TABLE = "table"


@app.callback()
def tactical() -> None:
    """Tactical deconfliction: predicted losses of separation from live state vectors."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _party_zone(spec: str) -> tuple[str, ProtectedZone]:
    parts = spec.split(":")
    try:
        if len(parts) not in (3, 4) or not parts[0]:
            raise ValueError
        radius, half = float(parts[1]), float(parts[2])
        tolerance = float(parts[3]) if len(parts) == 4 else 0.0
    except ValueError:
        raise InvalidInput("party_zone", f"{spec!r} is not PARTY:R_M:H_M[:TOL_M]") from None
    try:
        return parts[0], ProtectedZone(radius, half, tolerance)
    except InvalidInput as exc:
        raise InvalidInput("party_zone", f"{spec!r}: {exc.field} {exc.rule}") from None


def _read(path: Path) -> object:
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _fail(f"{path}: not valid JSON: {exc}") from exc


@app.command()
def check(
    states_file: Path = typer.Argument(
        ...,
        metavar="STATES.json",
        help="JSON array of objects with id, lat, lon, alt_m, gs_mps, track_deg, vs_mps "
        "(or vn_mps, ve_mps instead of gs_mps, track_deg); '-' reads stdin.",
    ),
    radius_m: float = typer.Option(DEFAULT_RADIUS_M, "--radius-m", help="Protected radius R."),
    half_height_m: float = typer.Option(
        DEFAULT_HALF_HEIGHT_M, "--half-height-m", help="Protected half-height H."
    ),
    lookahead_s: float = typer.Option(DEFAULT_LOOKAHEAD_S, "--lookahead-s", help="Lookahead T."),
    vertical_tolerance_m: float = typer.Option(
        0.0,
        "--vertical-tolerance-m",
        help="Altitude quantisation allowance, added to H: loss of separation is "
        "|dz| < H + tolerance, so it widens the zone, never narrows it.",
    ),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="json or table."),
    party_zone: list[str] = typer.Option(
        [],
        "--party-zone",
        help="PARTY:R_M:H_M[:TOL_M], repeatable: the zone (and vertical tolerance) of "
        'aircraft whose record has that "party" (a pair uses the larger of its two zones).',
    ),
) -> None:
    """Report every pair that loses separation within the lookahead (exit 1 if any)."""
    try:
        params = TacticalParams(
            ProtectedZone(radius_m, half_height_m, vertical_tolerance_m),
            lookahead_s,
            party_zones=dict(_party_zone(spec) for spec in party_zone),
        )
    except InvalidInput as exc:
        raise _fail(f"--{exc.field.replace('_', '-')}: {exc.rule}") from exc
    data = _read(states_file)
    try:
        states = parse_states(data)
    except InvalidInput as exc:
        raise _fail(f"{states_file}: {exc}") from exc
    records = conflict_records(states, detect(states, params))
    if output is OutputFormat.JSON:
        sys.stdout.write(orjson.dumps({"conflicts": records}).decode() + "\n")
    else:
        _table(records, len(states))
    if records:
        raise typer.Exit(code=1)


def _table(records: list[dict[str, object]], n_aircraft: int) -> None:
    console = Console()
    if not records:
        console.print(f"No conflicts among {n_aircraft} aircraft.")
        return
    noun = "conflict" if len(records) == 1 else "conflicts"
    table = Table(title=f"{len(records)} {noun} among {n_aircraft} aircraft")
    columns: list[tuple[str, Literal["left", "right", "center"]]] = [
        ("a", "left"),
        ("b", "left"),
        ("t_in s", "right"),
        ("t_out s", "right"),
        ("tcpa s", "right"),
        ("dcpa m", "right"),
        ("LoS now", "center"),
    ]
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for r in records:
        table.add_row(
            str(r["a"]),
            str(r["b"]),
            f"{r['t_in_s']:.1f}",
            f"{r['t_out_s']:.1f}",
            f"{r['tcpa_s']:.1f}",
            f"{r['dcpa_m']:.0f}",
            "LOSS" if r["los"] else "",
        )
    console.print(table)
