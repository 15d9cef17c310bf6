"""One time budget per write request for all its database work (issue 19).

Each store transaction has its own deadline (``--database-timeout``); a request that
opens several (read the sharing agreements, write, record the disclosures) could wait
that long on each. This middleware gives every write request (any method but GET, HEAD
and OPTIONS) one deadline for all of them, the same ``--database-timeout`` from its
arrival (``store.sql.request_budget``): past it the next transaction is a 503 at once.

Reads are left to the per-transaction deadline: an event stream (``GET /v1/events``,
SSE) polls the database for as long as it stays open, which no request budget fits.
Plain ASGI, so that the context variable reaches the endpoint's worker thread.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from deconflict.store.sql import request_budget

READS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestBudget:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in READS:
            await self.app(scope, receive, send)
            return
        with request_budget(self.seconds):
            await self.app(scope, receive, send)
