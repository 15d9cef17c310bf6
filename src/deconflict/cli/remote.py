"""Commands that talk to a running service through the Python client."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from deconflict.cli.consoles import error_console
from deconflict.cli.failure import exit_for
from deconflict.client import Client
from deconflict.errors import ApiError, InvalidInput
from deconflict.io.plan import load_plan, operation_features

URL = typer.Option("http://127.0.0.1:8080", envvar="DECONFLICT_URL", help="Service base URL.")


def _token(value: str) -> str:
    """A token goes into an HTTP header: refused here, naming the option, when it cannot
    (empty, as from a failed ``$(deconflict token ...)``, or with spaces or control
    characters), instead of a traceback from the HTTP library."""
    token = value.strip()
    if not token or not token.isascii() or not token.isprintable() or " " in token:
        raise typer.BadParameter(
            "not a token: expected one word of printable ASCII (see `deconflict token`)"
        )
    return token


TOKEN = typer.Option(
    ...,
    envvar="DECONFLICT_TOKEN",
    help="Bearer token (see `deconflict token`).",
    callback=_token,
)


def explained(exc: ApiError, url: str) -> str:
    """The service's refusal, and for a 401 which local key ``deconflict token`` signs
    with: a token minted in another data directory than the service's is the usual
    cause, and the service's message alone does not say where to look."""
    if exc.status != 401 or "signature" not in exc.message:
        return str(exc)
    from deconflict.auth.keys import key_id, load_or_create_signing_key, signing_key_path
    from deconflict.errors import KeyFileError
    from deconflict.settings import Settings

    data_dir = Settings().data_dir
    path = signing_key_path(data_dir)
    if not path.is_file():
        return f"{exc}\nhint: no local key at {path}; mint a token with `deconflict token`"
    try:
        kid = key_id(load_or_create_signing_key(data_dir).public_key())
    except KeyFileError:
        return str(exc)
    return (
        f"{exc}\nhint: `deconflict token` signs with key id {kid!r} ({path}); the service "
        f"at {url} trusts that key only if it runs with the same data directory "
        "(--data-dir or DECONFLICT_DATA_DIR)"
    )


def submit(
    file: Path = typer.Argument(..., help="GeoJSON plan; its operations are planned in order."),
    url: str = URL,
    token: str = TOKEN,
) -> None:
    """Plan every operation of a GeoJSON file on the service (as the token's party)."""
    err = error_console()
    try:
        ops = load_plan(file.read_bytes())
    except InvalidInput as exc:
        err.print(f"[red]invalid plan:[/] {exc}", highlight=False)
        raise exit_for(exc) from None
    table = Table("operation", "result", "conflicts with")
    rejected = 0
    with Client(url, token) as client, Progress(console=err, transient=True) as progress:
        task = progress.add_task("planning", total=len(ops))
        for start in range(0, len(ops), 200):
            chunk = ops[start : start + 200]
            items = []
            for op in chunk:
                features = list(operation_features(op))
                volumes = [{**f["properties"], "geometry": f["geometry"]} for f in features]
                items.append(
                    {
                        "id": op.id,
                        "priority": op.priority,
                        "state": op.state.value,
                        "volumes": volumes,
                    }
                )
            try:
                results = client.batch(items)
            except ApiError as exc:
                err.print(
                    f"[red]service refused the batch:[/] {explained(exc, url)}",
                    highlight=False,
                    soft_wrap=True,
                )
                raise exit_for(exc) from None
            for r in results:
                ok = r["status"] in (200, 201)
                rejected += not ok
                others = ", ".join(c["other_operation"] for c in r.get("conflicts", []))
                table.add_row(
                    r["id"],
                    "accepted" if ok else f"[red]{r['status']}[/]",
                    others or r.get("message", ""),
                )
            progress.advance(task, len(chunk))
    Console().print(table)
    raise typer.Exit(1 if rejected else 0)


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _extent(item: dict[str, Any]) -> tuple[str, str, float, float]:
    """When and how high: a reference carries its extents, an own operation its volumes."""
    volumes = item.get("volumes")
    if not volumes:
        return (
            item.get("time_start", ""),
            item.get("time_end", ""),
            float(item.get("altitude_lower_m", 0.0)),
            float(item.get("altitude_upper_m", 0.0)),
        )
    return (
        min(v["time_start"] for v in volumes),
        max(v["time_end"] for v in volumes),
        min(float(v["altitude_lower_m"]) for v in volumes),
        max(float(v["altitude_upper_m"]) for v in volumes),
    )


def operations_table(items: list[dict[str, Any]]) -> Table:
    """One row per operation; others' references show what the service disclosed (an id
    or call sign only under a sharing agreement)."""
    table = Table("operation", "party", "state", "priority", "when (UTC)", "altitude m", "seen as")
    for item in items:
        start, end, low, high = _extent(item)
        name = item.get("id") or item.get("call_sign") or "-"
        when = f"{start[:10]} {start[11:16]}-{end[11:16]}" if start else ""
        table.add_row(
            escape(str(name)),
            escape(str(item.get("party", ""))),
            str(item.get("state", "")),
            str(item.get("priority", "")),
            when,
            f"{low:.0f}-{high:.0f}",
            "reference" if item.get("reference") else "in full",
        )
    return table


def operations(
    url: str = URL,
    token: str = TOKEN,
    mine: bool = typer.Option(False, help="Only mine."),
    output: ListFormat = typer.Option(
        ListFormat.TABLE, "--format", help="table (for people) or json (the API's items)."
    ),
) -> None:
    """List operations visible to the token's party (others' as references)."""
    with Client(url, token) as client:
        try:
            items = client.list_operations(party="me" if mine else None)
        except ApiError as exc:
            error_console().print(
                f"[red]error:[/] {explained(exc, url)}", highlight=False, soft_wrap=True
            )
            raise exit_for(exc) from None
    if output is ListFormat.JSON:
        typer.echo(json.dumps(items, indent=2))
    elif not items:
        typer.echo("No operation visible to this token's party.")
    else:
        out = Console()
        if not out.is_terminal:
            out.width = max(out.width, 132)
        out.print(operations_table(items))
