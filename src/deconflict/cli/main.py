"""The ``deconflict`` command: one Typer app whose sub-commands load when they are used.

Each sub-command's module pulls in what it needs (NumPy and the geometry kernel for
``check``, FastAPI for ``serve``, SQLAlchemy and Alembic for ``db``...). Importing them
all for every invocation made ``deconflict version`` take seconds; the group below
imports a module only when its command runs or when help lists it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

from deconflict.cli import helpstyle
from deconflict.cli.config import use_config_file

helpstyle.apply()

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("deconflict.cli.check", "check"),
    "generate": ("deconflict.cli.generate", "generate"),
    "tactical": ("deconflict.cli.tactical", "app"),
    "token": ("deconflict.cli.token", "token"),
    "serve": ("deconflict.cli.serve", "serve"),
    "notifications": ("deconflict.cli.notifications", "notifications"),
    "worker": ("deconflict.cli.notifications", "worker"),
    "submit": ("deconflict.cli.remote", "submit"),
    "operations": ("deconflict.cli.remote", "operations"),
    "replay": ("deconflict.cli.replay", "replay"),
    "db": ("deconflict.cli.db", "app"),
    "scenario": ("deconflict.cli.scenario", "app"),
    "zones": ("deconflict.cli.zones", "app"),
    "audit": ("deconflict.cli.audit", "app"),
    "parties": ("deconflict.cli.parties", "app"),
    "messages": ("deconflict.cli.messages", "app"),
    "demo": ("deconflict.cli.demo", "demo"),
    "config": ("deconflict.cli.config", "app"),
}
"""Command name -> (module, attribute): a Typer app (a group) or a command function."""

SUMMARIES: dict[str, str] = {
    "check": "Deconflict a plan file: exit 0 no conflict, 1 conflicts, 2 invalid input, 3 "
    "our fault.",
    "generate": "Write a realistic synthetic plan (deliveries and surveys over Frankfurt) as "
    "GeoJSON.",
    "tactical": "Tactical deconfliction: predicted losses of separation from live state vectors.",
    "token": "Print a token signed with the service's own key (the key pair is made on first use).",
    "serve": "Run the service: native API under /v1, docs at /docs, health at /healthy.",
    "notifications": "List USS notifications in the outbox; --failed shows the dead letters.",
    "worker": "Run the delivery worker alone (stops cleanly on SIGINT or SIGTERM).",
    "submit": "Plan every operation of a GeoJSON file on the service (as the token's party).",
    "operations": "List operations visible to the token's party (others' as references).",
    "replay": "Post a recording of position reports to a running service, in time order.",
    "db": "Database maintenance: migrate, check integrity, export and import (JSON Lines).",
    "scenario": "Play bundled scenarios against a service.",
    "zones": "Constraints and agreed zones: import (GeoJSON, ED-269), export, list.",
    "audit": "The tamper-evident audit log: verify the chain, export a party's entries.",
    "parties": "Sharing agreements: what pairs of parties see of each other beyond references.",
    "messages": "Hotline messages: list them, run the escalation.",
    "demo": "Run the service with a bundled scenario and print the console's address.",
    "config": "The configuration in effect (file, environment, defaults), secrets masked.",
}
"""What ``deconflict --help`` lists for each command, without importing it (a test keeps
each equal to the command's own first help line). Listing by loading every command
imported the whole service and took seconds."""


def load_command(name: str) -> Any:
    """The click command for ``name``, built from its module on first use."""
    module, attr = COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    if not isinstance(target, typer.Typer):
        single = typer.Typer(add_completion=False)
        single.command(name=name)(target)
        target = single
    command = typer.main.get_command(target)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS:
            if self._listing:
                # Only the name and summary are shown: a stand-in imports nothing.
                return click.Command(cmd_name, help=SUMMARIES[cmd_name])
            return load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; settings the environment refuses (a file's were checked
        before) end as one line naming the key and the variable, exit 2, wherever the
        command built its ``Settings``."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if type(exc).__name__ != "ValidationError" or getattr(exc, "title", "") != "Settings":
                raise
            from deconflict.cli.config import settings_problems

            typer.echo(f"error: {settings_problems(exc)}", err=True)
            raise typer.Exit(2) from None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="deconflict",
    cls=LazyGroup,
    help="Multi-party airspace deconfliction: plan checks, the service, tactical detection.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        metavar="FILE",
        help="TOML configuration file (also DECONFLICT_CONFIG; default: deconflict.toml "
        "in the data directory, if there is one). Flags and DECONFLICT_* variables win "
        "over it; see docs/configuration.md.",
    ),
) -> None:
    """Multi-party airspace deconfliction: plan checks, the service, tactical detection."""
    use_config_file(ctx, config)


@app.command()
def version() -> None:
    """Print the version."""
    from deconflict import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    app()
