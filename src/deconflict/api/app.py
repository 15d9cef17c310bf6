"""The application factory: one settings object in, one FastAPI app out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from deconflict import __version__
from deconflict.api.budget import RequestBudget
from deconflict.api.console import console_router
from deconflict.api.constraints import router as constraints_router
from deconflict.api.deps import SERVICES_STATE_ATTR
from deconflict.api.docs_ui import install_docs
from deconflict.api.dss import router as dss_router
from deconflict.api.events import router as events_router
from deconflict.api.limits import BodyLimit, RateLimit, install_limits
from deconflict.api.messages import router as messages_router
from deconflict.api.metrics import RequestMetrics
from deconflict.api.metrics import router as metrics_router
from deconflict.api.native import router as native_router
from deconflict.api.parties import router as parties_router
from deconflict.api.problems import install_error_handlers
from deconflict.api.readiness import router as readiness_router
from deconflict.api.request_id import RequestId, install_log_records
from deconflict.api.security import install_auth_error_handlers
from deconflict.api.tactical import router as tactical_router
from deconflict.api.uss import router as uss_router
from deconflict.api.uss_notifications import router as uss_notifications_router
from deconflict.api.uss_plans import router as uss_plans_router
from deconflict.service.services import Services
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore


def create_app(settings: Settings, store: SqlStore | None = None) -> FastAPI:
    """Build the service. ``store`` lets tests share one; otherwise it is opened here
    (and closed when the app shuts down)."""
    return app_for(Services.build(settings, store))


def app_for(services: Services) -> FastAPI:
    """The HTTP face of ``services``: its lifespan starts and stops their workers."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            services.stop()

    app = FastAPI(
        title="deconflict",
        version=__version__,
        description="Multi-party airspace deconfliction: native party API and ASTM F3548-21 DSS.",
        lifespan=lifespan,
        # A client's malformed path gets a 4xx that says so, never a redirect: a 307
        # sent a DELETE with an empty OVN on to a path that then answered 405.
        redirect_slashes=False,
        # Swagger UI from the installed package, not a CDN; no ReDoc (api/docs_ui.py).
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    setattr(app.state, SERVICES_STATE_ATTR, services)
    install_auth_error_handlers(app)
    install_error_handlers(app)
    install_limits(app)
    # One deadline for all the database work of a write request (api/budget.py).
    app.add_middleware(RequestBudget, seconds=services.store.timeout_s)
    app.add_middleware(BodyLimit)
    # Before the body is read; inside the metrics and ids, so a 429 is counted and named.
    app.add_middleware(RateLimit, limits=services.rate_limits)
    app.add_middleware(RequestMetrics, metrics=services.metrics)
    # Outermost of ours, so that a 413 from the body limit carries an id too.
    app.add_middleware(RequestId)
    install_log_records()

    @app.get(
        "/healthy",
        response_class=PlainTextResponse,
        tags=["service"],
        responses={
            200: {
                "description": "Alive (whether it may take traffic: /ready).",
                "content": {"text/plain": {"schema": {"type": "string", "enum": ["ok"]}}},
            }
        },
    )
    def healthy() -> str:
        return "ok"

    app.include_router(readiness_router)
    app.include_router(metrics_router)
    app.include_router(native_router)
    app.include_router(constraints_router)
    app.include_router(dss_router)
    app.include_router(uss_router)
    app.include_router(uss_notifications_router)
    app.include_router(uss_plans_router)
    app.include_router(tactical_router)
    app.include_router(console_router())
    app.include_router(events_router)
    app.include_router(messages_router)
    app.include_router(parties_router)
    return app
