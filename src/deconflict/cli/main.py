"""The ``deconflict`` command: one Typer app, sub-commands registered from their modules."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="deconflict",
    help="Multi-party airspace deconfliction: plan checks, the service, tactical detection.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def version() -> None:
    """Print the version."""
    from deconflict import __version__

    typer.echo(__version__)
