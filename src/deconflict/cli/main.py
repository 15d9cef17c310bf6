"""The ``deconflict`` command: one Typer app whose sub-commands load when they are used.

Each sub-command's module pulls in what it needs (NumPy and the geometry kernel for
``check``, FastAPI for ``serve``, SQLAlchemy and Alembic for ``db``...). Importing them
all for every invocation made ``deconflict version`` take seconds; the group below
imports a module only when its command runs or when help lists it.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from deconflict.cli import helpstyle

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
}
"""Command name -> (module, attribute): a Typer app (a group) or a command function."""


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
    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS:
            return load_command(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="deconflict",
    cls=LazyGroup,
    help="Multi-party airspace deconfliction: plan checks, the service, tactical detection.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Multi-party airspace deconfliction: plan checks, the service, tactical detection."""


@app.command()
def version() -> None:
    """Print the version."""
    from deconflict import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    app()
