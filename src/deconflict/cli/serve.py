"""``deconflict serve``: the service on uvicorn."""

from __future__ import annotations

from pathlib import Path

import typer

from deconflict.auth.settings import AuthSettings
from deconflict.cli.options import database_url
from deconflict.settings import Settings

DATABASE_TIMEOUT_S = 10.0
"""The default of ``--database-timeout`` (the store's own default, without importing it)."""


def build_settings(
    database: str | None, data_dir: Path | None, trust_key: list[Path], audience: list[str]
) -> Settings:
    """Environment first, then command-line flags on top; trusted keys and audiences add up."""
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    if database is not None:
        settings = settings.model_copy(update={"database_url": database_url(database)})
    auth = settings.auth.model_dump()
    auth["trusted_key_paths"] = [*auth["trusted_key_paths"], *trust_key]
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
        [], help="PEM public key of another token issuer (repeatable)."
    ),
    audience: list[str] = typer.Option(
        [], help="Accepted token audience, besides localhost (repeatable)."
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

    from deconflict.api.app import create_app
    from deconflict.store.sql import open_store

    settings = build_settings(database, data_dir, trust_key, audience)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.resolved_database_url(), timeout_s=database_timeout)
    try:
        app = create_app(settings, store)
        typer.echo(
            f"deconflict on http://{host}:{port}  (docs: /docs, database: "
            f"{settings.resolved_database_url()})",
            err=True,
        )
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()
