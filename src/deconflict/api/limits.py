"""What a request may cost at the edge: the body size (plain ASGI middleware, before
any parsing), the answers to requests over the limits of ``core.limits`` (400, or 413
for counts), and the per-party gate on heavy requests (429).

A heavy request (a body over ``heavy_body_bytes``, or estimated at more than
``heavy_request_cells`` index cells, priced by ``core.limits`` before any work) needs
one of its party's ``heavy_slots_per_party`` slots for as long as it runs; without a
free slot it is answered 429 with ``Retry-After`` at once, so one party's dry runs of
thousands of volumes cannot take every worker thread and the CPU from the others.
Light requests (nearly all) never touch the gate.

``RateLimit`` answers 429 to a client address over its requests per second before
anything else of the request runs (``service.rate_limits``); the token subject's rate is
charged once the token is verified (``security.authenticate``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api import deps
from deconflict.api.problems import answer, error_handler, message
from deconflict.api.security import PRINCIPAL_STATE_ATTR
from deconflict.auth.principal import Principal
from deconflict.errors import Busy, RateLimited, TooLarge
from deconflict.service.admission import PartyGate
from deconflict.service.rate_limits import RateLimits

MAX_BODY_BYTES = 4 * 1024 * 1024
"""The reference DSS's limit (``maxBodySizeMiddleware(1<<22)``)."""


class BodyLimit:
    """413 for request bodies over ``limit`` bytes, declared or streamed.

    A declared ``Content-Length`` is refused before anything is read. A body without one
    (chunked) is read here first, up to the limit, and replayed to the app: counting
    while the app reads would not do, because FastAPI turns any error raised while it
    reads the body into a 400.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None:
            if declared > self.limit:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away; nothing to answer
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = b'{"message":"request body is larger than 4 MiB"}'
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


UNLIMITED_PATHS = frozenset({"/healthy", "/ready", "/metrics"})
"""Probes and scrapes are never rate limited: a load balancer or Prometheus polling
from one address must not be refused, nor starve the clients behind that address."""


def retry_after(exc: RateLimited) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after_s)}


class _RefusedRoute:
    """What ``scope["route"]`` holds for a request refused before routing, so that
    ``/metrics`` counts it under ``<rate_limited>`` rather than as a stray path."""

    path = "<rate_limited>"


class RateLimit:
    """429 with ``Retry-After`` for a client address over its rate, before the body is
    read or the token verified: a flood from one address costs a dictionary look-up
    a request. The answer is ``api.problems``' (``{"message"}``, the F3548 body too)."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits
        self.on = limits.limits_addresses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.on
            and scope["type"] in ("http", "websocket")
            and scope["path"] not in UNLIMITED_PATHS
        ):
            client = scope.get("client")
            try:
                self.limits.check_address(client[0] if client else "-")
            except RateLimited as exc:
                await self._refuse(exc, scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(exc: RateLimited, scope: Scope, receive: Receive, send: Send) -> None:
        """The 429; a WebSocket handshake gets it too where the server can answer one
        (ASGI's ``websocket.http.response``), else it is closed unaccepted (a 403)."""
        scope["route"] = _RefusedRoute()
        if scope["type"] == "http":
            await answer(Request(scope), exc)(scope, receive, send)
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            await message(exc.http_status, str(exc), retry_after(exc))(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1013})  # try again later


class HeavySlot:
    """A request's claim on its party's heavy slot: taken when the body is large (before
    it is validated) or when the priced request turns out heavy (``need``), released
    when the request ends."""

    def __init__(self, gate: PartyGate, party: str) -> None:
        self._gate = gate
        self._party = party
        self.held = False

    def take(self) -> None:
        if not self.held:
            self._gate.acquire(self._party)
            self.held = True

    def need(self, estimated_cells: int) -> None:
        """Take the slot if a request of ``estimated_cells`` (``core.limits``) is heavy."""
        if estimated_cells > self._gate.limits.heavy_request_cells:
            self.take()

    def release(self) -> None:
        if self.held:
            self.held = False
            self._gate.release(self._party)


async def _heavy_slot(
    request: Request, gate: Annotated[PartyGate, Depends(deps.dependency(deps.party_gate))]
) -> AsyncIterator[HeavySlot]:
    """Declared after the route's principal dependency (FastAPI solves dependencies in
    order, and before it validates the body): a large body is refused here, after
    parsing but before thousands of volumes are validated and converted."""
    principal: Principal = getattr(request.state, PRINCIPAL_STATE_ATTR)
    slot = HeavySlot(gate, principal.sub)
    if len(await request.body()) > gate.limits.heavy_body_bytes:
        slot.take()
    try:
        yield slot
    finally:
        slot.release()


Slot = Annotated[HeavySlot, Depends(_heavy_slot)]
"""A route parameter after the principal's: the request's ``HeavySlot``."""


def install_limits(app: FastAPI) -> None:
    """The answers to requests over a limit (``OverLimit`` is an ``InvalidInput``: the
    usual 400); the per-party gate and budget are the app's ``Services``'."""
    app.add_exception_handler(TooLarge, error_handler)
    app.add_exception_handler(Busy, error_handler)
    app.add_exception_handler(RateLimited, error_handler)
