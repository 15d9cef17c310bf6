"""``/ready``: may this process take traffic? (``/healthy`` only says it is alive.)

Ready means three things, each checked on every call (a probe is cheap: one connection,
one ``SELECT``, one read of ``alembic_version``):

- the database answers, and this process can write to it now: the probe opens a
  transaction the way every write does (the store's session, SERIALIZABLE, a deadline
  of ``READY_TIMEOUT_S``), so a standby (the primary moved in a failover and this
  process has not reached the new one yet), a read-only server, or a server that does
  not answer within the deadline is not ready;
- its schema is at the migrations' head (a database restored from an older backup, or
  one a newer release has moved past, would fail requests in ways no retry mends);
- the keys are loaded: the token verifier (which holds the trusted signing keys) and the
  audit key that signs the audit chain.

Not ready is a 503 naming each missing thing; the driver's text goes to the log only,
since it may name hosts and users and the probe is unauthenticated.
"""

from __future__ import annotations

import logging
import time
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from deconflict.api.deps import AppServices
from deconflict.api.native_schema import ReadyOut, body
from deconflict.errors import StoreUnavailable
from deconflict.service.services import Services
from deconflict.store.migrations_runner import MIGRATIONS
from deconflict.store.sql import SqlStore, standby_refused

READY_TIMEOUT_S = 2.0
"""The probe's own deadline: an orchestrator's probe usually times out after a few
seconds, and a not-ready answer is more useful to it than none."""

READ_ONLY = "read-only: a standby or a read-only server (the primary is elsewhere)"

log = logging.getLogger(__name__)

router = APIRouter(tags=["service"])


@cache
def _heads() -> frozenset[str]:
    """The revisions a current schema is at (read once: they ship with the code)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _database(store: SqlStore) -> tuple[str | None, str | None]:
    """(database problem, migrations problem): None where all is well."""
    deadline = time.monotonic() + min(store.timeout_s, READY_TIMEOUT_S)
    try:
        with store.session(write=False, deadline=deadline) as s:
            read_only = (
                store.is_postgresql
                and s.conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            )
            current = frozenset(MigrationContext.configure(s.conn).get_current_heads())
    except (SQLAlchemyError, StoreUnavailable) as exc:
        if standby_refused(exc):
            log.warning("not ready: the database refuses writes: %s", exc)
            return READ_ONLY, "unknown: the database refuses writes"
        log.warning("not ready: database unreachable: %s", exc)
        return "unreachable", "unknown: the database is unreachable"
    if read_only:
        log.warning("not ready: transaction_read_only is on")
        return READ_ONLY, None
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
    responses={
        200: body(ReadyOut, "Ready: every check is ok."),
        503: body(ReadyOut, "Not ready: the body names what is missing."),
    },
)
def ready(services: AppServices) -> JSONResponse:
    """Readiness for a load balancer or orchestrator: 200 when every check passes."""
    database, migrations = _database(services.store)
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
