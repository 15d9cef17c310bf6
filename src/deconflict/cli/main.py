"""The ``deconflict`` command: one Typer app, sub-commands registered from their modules."""

from __future__ import annotations

import typer

from deconflict.cli.audit import app as audit_app
from deconflict.cli.check import check
from deconflict.cli.db import app as db_app
from deconflict.cli.demo import demo
from deconflict.cli.generate import generate
from deconflict.cli.notifications import notifications, worker
from deconflict.cli.parties import app as parties_app
from deconflict.cli.remote import operations, submit
from deconflict.cli.replay import replay
from deconflict.cli.scenario import app as scenario_app
from deconflict.cli.serve import serve
from deconflict.cli.tactical import app as tactical_app
from deconflict.cli.token import token
from deconflict.cli.zones import app as zones_app

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
app.command()(notifications)
app.command()(worker)
app.command()(submit)
app.command()(operations)
app.command()(replay)
app.add_typer(db_app, name="db")
app.add_typer(scenario_app, name="scenario")
app.add_typer(zones_app, name="zones")
app.add_typer(audit_app, name="audit")
app.add_typer(parties_app, name="parties")
app.command()(demo)


@app.command()
def version() -> None:
    """Print the version."""
    from deconflict import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    app()
