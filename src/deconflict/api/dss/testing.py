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
