"""The ``deconflict`` command: one Typer app, sub-commands registered from their modules."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from deconflict.cli.check import Format, check, run_check
from deconflict.cli.db import app as db_app
from deconflict.cli.generate import generate
from deconflict.cli.remote import operations, submit
from deconflict.cli.replay import replay
from deconflict.cli.serve import serve
from deconflict.cli.tactical import app as tactical_app
from deconflict.cli.token import token

app = typer.Typer(
    name="deconflict",
    help="Multi-party airspace deconfliction: plan checks, the service, tactical detection.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(check)
app.command()(generate)
app.add_typer(tactical_app, name="tactical")
app.command(name="token")(token)
app.command()(serve)
app.command()(submit)
app.command()(operations)
app.command()(replay)
app.add_typer(db_app, name="db")


@app.command()
def version() -> None:
    """Print the version."""
    from deconflict import __version__

    typer.echo(__version__)


@app.command()
def demo() -> None:
    """Check the bundled river-valley plan: two forces planning over the same valley."""
    plan = resources.files("deconflict.examples").joinpath("river_valley.geojson")
    with resources.as_file(plan) as path:
        typer.echo(f"Checking {Path(path).name}: two parties planning over the Euphrates valley.\n")
        code = run_check(Path(path), Format.TABLE)
    typer.echo(
        "\nExit code "
        f"{code}: {'conflicts found' if code == 1 else 'no conflict' if code == 0 else 'error'}. "
        "Try `deconflict check FILE --format json` on your own plan."
    )


if __name__ == "__main__":
    app()
