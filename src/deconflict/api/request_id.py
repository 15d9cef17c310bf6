"""One id per request, so that a client's report, the response and the log meet.

The id is the client's ``X-Request-ID`` when that is a sane token (a proxy or a client
that already numbers its requests keeps its numbering), else one made here. It leaves on
every response, is the ``error_id`` of a 500 (``errors.py``), and every log record made
while the request runs carries it as ``record.request_id``.

The middleware is plain ASGI, not ``BaseHTTPMiddleware``: it must not buffer the event
streams, and the context variable it sets must reach the endpoint's worker thread.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
SCOPE_KEY = "deconflict.request_id"
"""Where the id lives in the ASGI scope: the 500 handler runs outside this middleware
(in Starlette's outermost error middleware), after the context variable is reset."""

_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
"""A client's id is echoed into headers and logs: letters, digits and ``._:-`` only
(UUIDs, ULIDs, hex all pass), at most 128 characters, so it can forge no log line or
header."""

current: ContextVar[str | None] = ContextVar("deconflict_request_id", default=None)


def new_id() -> str:
    return secrets.token_hex(8)


def accepted(value: str | None) -> str | None:
    """The client's id if it is one to keep, else None."""
    if value is None or _SANE.fullmatch(value) is None:
        return None
    return value


def of_scope(scope: Scope) -> str | None:
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, str) else None


class RequestId:
    """Gives each HTTP request its id and puts it on the response's headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = _header(scope, HEADER.lower().encode())
        request_id = accepted(sent) or new_id()
        scope[SCOPE_KEY] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = current.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            try:
                return bytes(value).decode("ascii")
            except UnicodeDecodeError:
                return None
    return None


_installed = False


def install_log_records() -> None:
    """Every log record gets ``request_id`` (``-`` outside a request), whichever logger
    made it, so a formatter may use ``%(request_id)s``. A record factory rather than a
    filter: filters sit on one logger or handler, and the library loggers are many."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current.get() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
