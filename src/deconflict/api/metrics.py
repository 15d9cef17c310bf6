"""``/metrics``: the service's figures in the Prometheus text format.

Each app has its own ``CollectorRegistry``, never the process-global one: a test run
builds hundreds of apps in one process, and a second app registering the same names on
the global registry would fail (and would mix two apps' figures).

What is measured, and where:

- requests by method, route *template* (``/v1/operations/{operation_id}``, never the
  path a client typed, which would make one series per id) and status, with a latency
  histogram, by a plain ASGI middleware (event streams are timed to their end);
- planning decisions (accepted or refused) with the conflicts and notices they found,
  by an engine that counts what it decides (``MeteredEngine``);
- the outbox's pending and dead-lettered notifications, read from the database at
  scrape time (an indexed count by status), so the figure is the database's, shared by
  every replica, not this process's memory; so is the audit chain's lag, the entries
  recorded but not yet chained;
- notification delivery attempts by outcome, counted by the delivery worker;
- the tactical picture's detection passes (count, total time) and live tracks;
- the store's retried transactions and those it gave up (each a 503), counted by the
  store itself; every 503 also shows among the requests by status.

``/metrics`` needs no token: scrapers seldom hold one, and the figures are aggregates
with no party, id or place in them. An operator who would hide them anyway blocks the
path at the reverse proxy (``docs/operations.md``).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api.deps import Metrics
from deconflict.service.metering import ServiceMetrics

UNMATCHED = "<unmatched>"
"""The route label of a request no route matched: one series for every stray path."""


class RequestMetrics:
    """Counts and times each HTTP request by its route template and status."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_seen)
        finally:
            route = _template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - start)


def _template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


router = APIRouter(tags=["service"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
def metrics(own: Metrics) -> Response:
    """The service's figures for Prometheus (no token needed; see ``docs/operations.md``)."""
    return Response(generate_latest(own.registry), media_type=CONTENT_TYPE_LATEST)
