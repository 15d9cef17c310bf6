"""A minimal app around the DSS router, for tests and local experiments.

It has what the real app will have around the router (a token verifier trusting the
service's own key, ``{"message"}`` auth errors, a 4 MiB request-body limit) and nothing
else, so DSS tests do not depend on the rest of the server.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api.dss.router import router
from deconflict.api.security import install_auth_error_handlers
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.verify import TokenVerifier
from deconflict.store.sql import SqlStore

MAX_BODY_BYTES = 4 * 1024 * 1024
"""The reference DSS's limit (``maxBodySizeMiddleware(1<<22)``)."""


class _TooLarge(Exception):
    pass


class BodyLimit:
    """413 for request bodies over ``limit`` bytes, declared or streamed.

    A declared ``Content-Length`` is refused before anything is read; a chunked body is
    counted as it arrives, so a client cannot get round the limit by not declaring it.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._refuse(send)
                    return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

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


@cache
def _shared_router() -> APIRouter:
    """Routes hold no state, so one router serves every test app (building one costs
    about 0.2 s of FastAPI model analysis)."""
    return router()


def make_dss_app(store: SqlStore, data_dir: Path) -> FastAPI:
    """The DSS router on ``store``, trusting the signing key kept in ``data_dir``."""
    app = FastAPI(title="deconflict DSS (test app)")
    app.state.store = store
    app.state.settings = None
    key = load_or_create_signing_key(data_dir)
    app.state.token_verifier = TokenVerifier(trusted_keys=[key.public_key()])
    install_auth_error_handlers(app)
    app.include_router(_shared_router())
    app.add_middleware(BodyLimit)
    return app
