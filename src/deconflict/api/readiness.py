"""``/ready``: may this process take traffic? (``/healthy`` only says it is alive.)

Ready means three things, each checked on every call (a probe is cheap: one connection,
one ``SELECT``, one read of ``alembic_version``):

- the database answers;
- its schema is at the migrations' head (a database restored from an older backup, or
  one a newer release has moved past, would fail requests in ways no retry mends);
- the keys are loaded: the token verifier (which holds the trusted signing keys) and the
  audit key that signs the audit chain.

Not ready is a 503 naming each missing thing; the driver's text goes to the log only,
since it may name hosts and users and the probe is unauthenticated.
"""

from __future__ import annotations

import logging
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from deconflict.api.deps import AppServices
from deconflict.service.services import Services
from deconflict.store.migrations_runner import MIGRATIONS

log = logging.getLogger(__name__)

router = APIRouter(tags=["service"])


@cache
def _heads() -> frozenset[str]:
    """The revisions a current schema is at (read once: they ship with the code)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _database(engine: Engine) -> tuple[str | None, str | None]:
    """(database problem, migrations problem): None where all is well."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as exc:
        log.warning("not ready: database unreachable: %s", exc)
        return "unreachable", "unknown: the database is unreachable"
    if current != _heads():
        at = ", ".join(sorted(current)) or "none"
        want = ", ".join(sorted(_heads()))
        return None, f"schema at {at}, code expects {want}"
    return None, None


def _keys(services: Services) -> str | None:
    missing = [
        name
        for name, attr in (("token verifier", "token_verifier"), ("audit key", "audit_key"))
        if getattr(services, attr) is None
    ]
    return f"not loaded: {', '.join(missing)}" if missing else None


@router.get(
    "/ready",
    responses={503: {"description": "Not ready: the body names what is missing."}},
)
def ready(services: AppServices) -> JSONResponse:
    """Readiness for a load balancer or orchestrator: 200 when every check passes."""
    database, migrations = _database(services.store.engine)
    problems = {"database": database, "migrations": migrations, "keys": _keys(services)}
    checks = {name: problem or "ok" for name, problem in problems.items()}
    missing = [f"{name}: {problem}" for name, problem in problems.items() if problem]
    if missing:
        return JSONResponse(
            {"ready": False, "message": "not ready: " + "; ".join(missing), "checks": checks},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"ready": True, "checks": checks})
