"""``deconflict token``: mint a token with the service's own key, for local use.

The token alone goes to stdout (so ``TOKEN=$(deconflict token ...)`` works); anything
else goes to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deconflict.auth.keys import key_id, load_or_create_signing_key, signing_key_path
from deconflict.auth.scopes import KNOWN_SCOPES
from deconflict.auth.tokens import mint_token
from deconflict.auth.trust import DEFAULT_ISSUER, MAX_TOKEN_LIFETIME_S
from deconflict.cli.failure import exit_for
from deconflict.errors import InvalidInput, KeyFileError


def token_command(
    sub: str,
    scope: list[str],
    data_dir: Path,
    audience: str = "localhost",
    lifetime_s: int = MAX_TOKEN_LIFETIME_S,
    issuer: str | None = None,
) -> str:
    """Mint and return a token; unknown scope names are refused.

    Refusing unknown scopes catches typos such as ``deconflict.plans`` here, instead of
    as a puzzling 403 from the server later. The issuer defaults to the service's own
    (``auth.issuer`` of the settings, as ``serve`` reads them): the service trusts its
    key for that issuer only, so the demo and the scenarios must mint with it.
    """
    if issuer is None:
        from deconflict.settings import Settings

        issuer = Settings().auth.issuer
    unknown = sorted(set(scope) - KNOWN_SCOPES)
    if unknown:
        raise InvalidInput(
            "scope", f"unknown scope {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_SCOPES))}"
        )
    key = load_or_create_signing_key(data_dir)
    return mint_token(
        key, sub=sub, scopes=scope, audience=audience, issuer=issuer, lifetime_s=lifetime_s
    )


def token(
    sub: Annotated[str, typer.Option("--sub", help="The party the token speaks for.")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", help="A scope to grant; repeat for several.", show_default=False),
    ],
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="DECONFLICT_DATA_DIR",
            help="Data directory holding the service's key pair (created if absent); "
            "default: the setting data_dir (data).",
            show_default=False,
        ),
    ] = None,
    audience: Annotated[
        str, typer.Option("--audience", help="The `aud` claim: the host the token is for.")
    ] = "localhost",
    lifetime_s: Annotated[
        int, typer.Option("--lifetime", help="Seconds until the token expires (at most 3600).")
    ] = MAX_TOKEN_LIFETIME_S,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer",
            envvar="DECONFLICT_AUTH__ISSUER",
            help="The `iss` claim: the service trusts its own key only for its own issuer; "
            f"default: the setting auth.issuer ({DEFAULT_ISSUER}).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print a token signed with the service's own key (the key pair is made on first use)."""
    if data_dir is None:  # not a flag default: the configuration file may set it
        from deconflict.settings import Settings

        data_dir = Settings().data_dir
    try:
        minted = token_command(sub, scope, data_dir, audience, lifetime_s, issuer)
    except (InvalidInput, KeyFileError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise exit_for(exc) from None
    # Which key signed it, on stderr: a service run with another data dir refuses the
    # token, and this line is how a user finds out why.
    kid = key_id(load_or_create_signing_key(data_dir).public_key())
    typer.echo(f"signed with key id {kid} ({signing_key_path(data_dir)})", err=True)
    typer.echo(minted)


app = typer.Typer(add_completion=False, help="Mint access tokens for local use.")
app.command(name="token")(token)
