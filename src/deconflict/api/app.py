"""The application factory: one settings object in, one FastAPI app out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from deconflict import __version__
from deconflict.api.console import console_router
from deconflict.api.constraints import router as constraints_router
from deconflict.api.dss import router as dss_router
from deconflict.api.errors import install_error_handlers
from deconflict.api.events import router as events_router
from deconflict.api.limits import BodyLimit, install_limits
from deconflict.api.messages import HotlineRuntime
from deconflict.api.messages import router as messages_router
from deconflict.api.metrics import MeteredEngine, RequestMetrics, ServiceMetrics
from deconflict.api.metrics import router as metrics_router
from deconflict.api.native import router as native_router
from deconflict.api.parties import router as parties_router
from deconflict.api.readiness import router as readiness_router
from deconflict.api.request_id import RequestId, install_log_records
from deconflict.api.security import install_auth_error_handlers
from deconflict.api.tactical import live_picture
from deconflict.api.tactical import router as tactical_router
from deconflict.audit.keys import load_or_create_audit_key
from deconflict.audit.recording import (
    AuditedDssNotifier,
    AuthFailureRecorder,
    compose,
    record_operation_change,
)
from deconflict.audit.runtime import Chainer
from deconflict.auth.verify import TokenVerifier
from deconflict.notify import NotifyRuntime
from deconflict.settings import Settings
from deconflict.store.audit import use_key
from deconflict.store.constraints import airspace_of
from deconflict.store.sql import SqlStore, open_store


def create_app(settings: Settings, store: SqlStore | None = None) -> FastAPI:
    """Build the service. ``store`` lets tests share one; otherwise it is opened here."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    owned = store is None
    store = store or open_store(settings.resolved_database_url())
    notify = NotifyRuntime(store, settings)
    hotline = HotlineRuntime(store, settings, notify.notifier)
    audit_key = load_or_create_audit_key(settings.data_dir)
    use_key(store.engine, audit_key)
    chainer = Chainer(store, key=audit_key)
    auth_failures = AuthFailureRecorder(store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        notify.start()
        auth_failures.start()
        chainer.start()
        hotline.start()
        try:
            yield
        finally:
            hotline.stop()
            auth_failures.stop()
            chainer.stop()
            notify.stop()
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="deconflict",
        version=__version__,
        description="Multi-party airspace deconfliction: native party API and ASTM F3548-21 DSS.",
        lifespan=lifespan,
        # A client's malformed path gets a 4xx that says so, never a redirect: a 307
        # sent a DELETE with an empty OVN on to a path that then answered 405 (issue 15).
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.metrics = metrics = ServiceMetrics(store, app.state)
    app.state.engine = MeteredEngine(
        store,
        settings.equal_priority,
        on_change=compose(notify.notifier.operation_changed, record_operation_change),
        airspace=airspace_of,
        metrics=metrics,
    )
    app.state.notify = notify
    app.state.hotline = hotline.hotline
    app.state.dss_notifier = AuditedDssNotifier(notify.notifier)
    app.state.audit_chainer = chainer
    app.state.audit_key = audit_key
    app.state.audit_auth_failure = auth_failures
    app.state.party_bus = notify.bus
    app.state.notify_wake = notify.wake
    app.state.live = live_picture(app)
    app.state.token_verifier = TokenVerifier.from_settings(settings.auth, settings.data_dir)
    install_auth_error_handlers(app)
    install_error_handlers(app)
    install_limits(app, settings.limits)
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestMetrics, metrics=metrics)
    # Outermost of ours, so that a 413 from the body limit carries an id too.
    app.add_middleware(RequestId)
    install_log_records()

    @app.get("/healthy", response_class=PlainTextResponse, tags=["service"])
    def healthy() -> str:
        return "ok"

    app.include_router(readiness_router)
    app.include_router(metrics_router)
    app.include_router(native_router)
    app.include_router(constraints_router)
    app.include_router(dss_router)
    app.include_router(tactical_router)
    app.include_router(console_router())
    app.include_router(events_router)
    app.include_router(messages_router)
    app.include_router(parties_router)
    return app
