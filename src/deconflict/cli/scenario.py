"""``deconflict scenario run NAME``: play a bundled scenario against a running service.

Each party speaks with its own token: give them with ``--token party=TOKEN`` (repeat),
or the tokens are minted with the key of a service on this machine (``--data-dir``, by
default the data directory ``serve`` and ``demo`` use), as ``deconflict token`` would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from deconflict import scenarios
from deconflict.auth.keys import signing_key_path
from deconflict.auth.scopes import Scope
from deconflict.cli.failure import exit_for
from deconflict.cli.token import token_command
from deconflict.errors import KeyFileError, ScenarioError
from deconflict.scenarios.model import Scenario
from deconflict.scenarios.player import Player
from deconflict.settings import Settings

PARTY_SCOPES = [Scope.PLAN.value, Scope.READ.value, Scope.TRACK.value]

app = typer.Typer(add_completion=False, help="Play bundled scenarios against a service.")


def mint_party_tokens(
    parties: tuple[str, ...], data_dir: Path, operators: tuple[str, ...] = ()
) -> dict[str, str]:
    """One token per party, signed with the local service's key (one hour, the maximum);
    ``operators`` get the admin scope too."""
    tokens = {p: token_command(p, PARTY_SCOPES, data_dir) for p in parties}
    for p in operators:
        tokens[p] = token_command(p, [*PARTY_SCOPES, Scope.ADMIN.value], data_dir)
    return tokens


def clients(url: str, tokens: Mapping[str, str]) -> dict[str, httpx.Client]:
    return {
        party: httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {tok}"}, timeout=60.0
        )
        for party, tok in tokens.items()
    }


def play(
    scenario: Scenario,
    player: Player,
    *,
    reset: bool,
    live: bool,
    loops: int,
    speed: float = 1.0,
    keep_going: Callable[[], bool] = lambda: True,
) -> bool:
    """Plan, then fly ``loops`` times (0: until the flown volumes end); True when every
    planning step turned out as the story says."""
    if reset:
        player.reset(scenario)
    results = player.plan(scenario)
    if live and scenario.flights:
        n = 0
        while keep_going() and (loops == 0 or n < loops):
            if scenario.live_until is not None:
                left = (scenario.live_until - datetime.now(UTC)).total_seconds()
                if left < scenario.live_duration_s / speed:
                    player.say("the flown operations' volumes are over: the live replay stops")
                    break
            n += 1
            player.say(f"live replay {n}: {len(scenario.flights)} aircraft")
            player.fly(scenario, speed=speed)
    return all(r.as_expected for r in results)


def _parse_tokens(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        party, sep, tok = pair.partition("=")
        if not sep or not party or not tok:
            raise typer.BadParameter(f"expected PARTY=TOKEN, got {pair[:20]!r}...")
        out[party] = tok
    return out


@app.command("list")
def list_scenarios() -> None:
    """The bundled scenarios."""
    now = datetime.now(UTC)
    for name in sorted(scenarios.BUILDERS):
        s = scenarios.build(name, now)
        typer.echo(f"{name}: {s.title}\n    parties: {', '.join(s.parties)}\n    {s.summary}")


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="Scenario name (see `deconflict scenario list`).")],
    url: Annotated[
        str, typer.Option(envvar="DECONFLICT_URL", help="Service base URL.")
    ] = "http://127.0.0.1:8080",
    token: Annotated[
        list[str] | None,
        typer.Option(
            "--token",
            help="PARTY=TOKEN with plan, read and track scopes (repeat); the scenario's "
            "operator needs deconflict.admin too.",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="DECONFLICT_DATA_DIR",
            help="Data dir of a local service: mint each party's token with its key "
            "(default, for parties without --token: the default data dir, as serve and "
            "demo use it).",
            show_default=False,
        ),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset/--no-reset", help="Remove the scenario's operations first.")
    ] = True,
    live: Annotated[bool, typer.Option("--live/--no-live", help="Fly the live part.")] = True,
    loops: Annotated[int, typer.Option(min=0, help="Live replays; 0 = until the volumes end.")] = 1,
    speed: Annotated[float, typer.Option(min=0.1, help="Live replay speed.")] = 1.0,
) -> None:
    """Plan a scenario's operations as its parties, then fly its aircraft live."""
    try:
        scenario = scenarios.build(name, datetime.now(UTC))
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    tokens = _parse_tokens(token or [])
    wanted = (*scenario.parties, *scenario.operators)
    if data_dir is None and any(p not in tokens for p in wanted):
        data_dir = Settings().data_dir
    if data_dir is not None:
        try:
            minted = mint_party_tokens(scenario.parties, data_dir, scenario.operators)
        except KeyFileError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise exit_for(exc) from None
        typer.echo(f"tokens signed with the key in {signing_key_path(data_dir)}", err=True)
        tokens = {**minted, **tokens}
    typer.echo(f"{scenario.title}\n{scenario.summary}\n")
    http = clients(url, tokens)
    try:
        ok = play(
            scenario, Player(http, say=typer.echo), reset=reset, live=live, loops=loops, speed=speed
        )
    except (ScenarioError, httpx.HTTPError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        for c in http.values():
            c.close()
    if not ok:
        typer.echo("some steps did not turn out as the scenario expects", err=True)
        raise typer.Exit(1)
