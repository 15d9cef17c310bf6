"""``deconflict serve``: the service on uvicorn."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from deconflict.auth.trust import AuthSettings
from deconflict.cli.options import database_url
from deconflict.errors import InvalidInput
from deconflict.settings import DssSettings, Settings

DATABASE_TIMEOUT_S = 10.0
"""The default of ``--database-timeout`` (the store's own default, without importing it)."""


@dataclass(frozen=True)
class TrustedKeys:
    """``--trust-issuer ISS --trust-subjects PATTERNS --trust-key PEM...``: one more
    authority from the command line (more go in ``DECONFLICT_AUTH__TRUSTED_ISSUERS``)."""

    issuer: str | None = None
    subjects: str | None = None
    key_paths: list[Path] = field(default_factory=list)

    def entry(self) -> dict[str, Any] | None:
        """The ``IssuerSettings`` fields, ``None`` when no flag was given; a key without
        its issuer and subjects (or the other way round) is refused, because a key
        trusted for no one in particular would speak for every party."""
        if self.issuer is None and self.subjects is None and not self.key_paths:
            return None
        if self.issuer is None or self.subjects is None or not self.key_paths:
            raise InvalidInput(
                "--trust-key",
                "give --trust-key PEM with --trust-issuer ISS and --trust-subjects "
                "PATTERNS (the parties that authority may speak for)",
            )
        patterns = [s.strip() for s in self.subjects.split(",") if s.strip()]
        return {"issuer": self.issuer, "key_paths": self.key_paths, "subjects": patterns}


def build_settings(
    database: str | None,
    data_dir: Path | None,
    trusted: TrustedKeys,
    audience: list[str],
    public_url: str | None = None,
    listen: tuple[str, int] | None = None,
) -> Settings:
    """Environment first, then command-line flags on top; trusted issuers and audiences
    add up. The public base URL (where USSs reach the service as the USS of its native
    parties) is ``public_url``, else the configured one, else ``listen``'s address."""
    settings = Settings()
    base = public_url or settings.dss.public_base_url
    if base is None and listen is not None:
        base = f"http://{listen[0]}:{listen[1]}"
    if base is not None:
        dss = DssSettings.model_validate({**settings.dss.model_dump(), "public_base_url": base})
        settings = settings.model_copy(update={"dss": dss})
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    if database is not None:
        settings = settings.model_copy(update={"database_url": database_url(database)})
    auth = settings.auth.model_dump()
    entry = trusted.entry()
    if entry is not None:
        auth["trusted_issuers"] = [*auth["trusted_issuers"], entry]
    auth["audiences"] = list(dict.fromkeys([*auth["audiences"], *audience]))
    return settings.model_copy(update={"auth": AuthSettings.model_validate(auth)})


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="TCP port."),
    database: str | None = typer.Option(
        None, help="SQLite file or postgresql:// URL; default: deconflict.db in the data dir."
    ),
    data_dir: Path | None = typer.Option(
        None, envvar="DECONFLICT_DATA_DIR", help="Data directory."
    ),
    trust_key: list[Path] = typer.Option(
        [],
        help="PEM public key of another token issuer (repeatable); needs --trust-issuer "
        "and --trust-subjects. It never grants deconflict.admin; see docs/auth.md.",
    ),
    trust_issuer: str | None = typer.Option(None, help="The `iss` of --trust-key's tokens."),
    trust_subjects: str | None = typer.Option(
        None,
        help="Parties --trust-key's issuer may speak for: comma-separated names or "
        "patterns ('uss-*'; '*' for any party, e.g. an F3548 test suite's OAuth server).",
    ),
    audience: list[str] = typer.Option(
        [], help="Accepted token audience, besides localhost (repeatable)."
    ),
    public_url: str | None = typer.Option(
        None,
        help="The service's base URL as an F3548 USS (where USSs fetch native operations' "
        "details); default: http://HOST:PORT. Also DECONFLICT_DSS__PUBLIC_BASE_URL.",
    ),
    database_timeout: float = typer.Option(
        DATABASE_TIMEOUT_S,
        min=0.5,
        envvar="DECONFLICT_DATABASE_TIMEOUT",
        help="Seconds a request may wait on the database (locks, retries, a server that "
        "does not answer) before it is answered 503.",
    ),
) -> None:
    """Run the service: native API under /v1, docs at /docs, health at /healthy."""
    import uvicorn

    from deconflict.api.app import app_for
    from deconflict.api.logs import log_config
    from deconflict.service.services import Services
    from deconflict.store.sql import open_store

    try:
        trusted = TrustedKeys(trust_issuer, trust_subjects, trust_key)
        settings = build_settings(database, data_dir, trusted, audience, public_url, (host, port))
    except (InvalidInput, ValidationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    from deconflict.store.urls import checked_url, masked

    try:
        db_url = checked_url(settings.resolved_database_url())
    except InvalidInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    store = open_store(db_url, timeout_s=database_timeout)
    try:
        app = app_for(Services.build(settings, store))
        typer.echo(
            f"deconflict on http://{host}:{port}  (docs: /docs, database: {masked(db_url)})",
            err=True,
        )
        config = log_config(settings.log_format)
        uvicorn.run(app, host=host, port=port, log_level="warning", log_config=config)
    finally:
        store.close()
