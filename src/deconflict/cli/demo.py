"""``deconflict demo``: the service, a bundled scenario playing into it, and the console.

What a newcomer needs in two minutes: one command that starts the service on the
embedded SQLite default in a data directory, plays the river-valley story through the
public API, prints the console's address with a token per party, and keeps the live
part looping until Ctrl-C. ``--check-only`` keeps the older, offline demo (the plan
check of the same valley).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated

import httpx
import typer

from deconflict import scenarios
from deconflict.cli.check import Format, run_check
from deconflict.cli.failure import exit_for
from deconflict.cli.options import DataDir
from deconflict.cli.scenario import clients, mint_party_tokens, play
from deconflict.errors import ScenarioError
from deconflict.scenarios.player import Player
from deconflict.settings import Settings


def check_only() -> int:
    """Check the bundled plan offline; the exit code is ``check``'s (1: conflicts found),
    so a script sees the result, not a sentence about it."""
    plan = resources.files("deconflict.examples").joinpath("river_valley.geojson")
    with resources.as_file(plan) as path:
        typer.echo(f"Checking {Path(path).name}: two parties planning over the Euphrates valley.\n")
        code = run_check(Path(path), Format.TABLE)
    outcome = {0: "no conflict", 1: "conflicts found"}.get(code, "error")
    typer.echo(f"\nResult: {outcome}. Try `deconflict check FILE --format json` on your own plan.")
    return code


def demo_settings(data_dir: Path | None) -> Settings:
    """The demo's service settings: the same default data directory as every other
    command (``data``, or ``DECONFLICT_DATA_DIR``), so that after ``make demo`` a plain
    ``deconflict token``, ``db check``, ``audit verify`` or ``scenario run`` uses the
    demo's key pair, audit key and database. A separate demo directory made each of
    them a dead end (a 401 from a key the service never trusted, "no database")."""
    from deconflict.cli.serve import TrustedKeys, build_settings

    return build_settings(None, data_dir, TrustedKeys(), [])


def listen(host: str, port: int) -> socket.socket:
    """The demo's listening socket, bound before anything starts (exit 2 if it cannot be).

    Binding it here and handing it to uvicorn leaves no window in which another process
    on the port (an older ``deconflict``) answers the health check and has the scenario
    played into it, as happened when uvicorn's own bind failed in its thread.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        typer.echo(
            f"error: cannot listen on {host} port {port}: {reason} (another deconflict "
            "still running?); stop it, or give --port N (--port 0 picks a free one)",
            err=True,
        )
        raise typer.Exit(2) from None


def _wait_healthy(url: str, server: threading.Thread, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and server.is_alive():
        try:
            if httpx.get(f"{url}/healthy", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ScenarioError(f"the service did not come up at {url}")


def _announce(
    url: str, title: str, summary: str, tokens: dict[str, str], operators: tuple[str, ...] = ()
) -> None:
    typer.echo(f"\n{title}\n{summary}\n")
    typer.echo("Open the console as one of the parties (tokens are valid for one hour):")
    for party, tok in tokens.items():
        who = (
            f"{party} (the service operator: sees everything in full)"
            if party in operators
            else party
        )
        typer.echo(f"\n  {who}:\n  {url}/#token={tok}")
    typer.echo(f"\nOr open {url}/ and paste a token. API docs: {url}/docs. Ctrl-C stops.\n")


def demo(
    check: Annotated[
        bool, typer.Option("--check-only", help="Only check the bundled plan offline.")
    ] = False,
    scenario: Annotated[str, typer.Option(help="Scenario to play.")] = scenarios.DEFAULT,
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port (0: any free port, printed).")
    ] = 8080,
) -> None:
    """Run the service with a bundled scenario and print the console's address."""
    if check:
        raise typer.Exit(check_only())
    import uvicorn

    from deconflict.api.app import create_app

    listener = listen(host, port)
    port = listener.getsockname()[1]
    settings = demo_settings(data_dir)
    data_dir = settings.data_dir
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(
        target=server.run, args=([listener],), name="deconflict-demo-server", daemon=True
    )
    thread.start()
    url = f"http://{host}:{port}"
    stop = threading.Event()
    try:
        _wait_healthy(url, thread)
        typer.echo(f"deconflict is running at {url} (database: {settings.resolved_database_url()})")
        while not stop.is_set():
            # Tokens last an hour at most and the flown volumes less: each round lays the
            # story around the current time and mints fresh tokens.
            story = scenarios.build(scenario, datetime.now(UTC))
            tokens = mint_party_tokens(story.parties, data_dir, story.operators)
            _announce(url, story.title, story.summary, tokens, story.operators)
            http = clients(url, tokens)
            player = Player(http, say=lambda s: typer.echo(f"  {s}"))
            play(story, player, reset=True, live=True, loops=0)
            if not story.flights:
                typer.echo("The scenario is played. The service keeps running until Ctrl-C.")
                thread.join()
    except KeyboardInterrupt:
        typer.echo("\nstopping")
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise exit_for(exc) from None
    finally:
        stop.set()
        server.should_exit = True
        thread.join(timeout=10)
