"""The native API's error responses: ``{"message": ...}`` with the status a client can act on.

``answer`` is the one place an error of ours becomes a response; the status is the
error class's own (``deconflict.errors``), never chosen here. Framework errors (an
unparsable body, an unknown path) and unexpected exceptions get the same body shapes.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from deconflict.api import request_id
from deconflict.api.security import auth_error_response
from deconflict.errors import AuthError, DeconflictError, StoreUnavailable, TransitionRefused

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    message: str


COMMON_ERRORS = {
    400: "Invalid input: the message names the field and the rule.",
    401: "Missing, malformed, expired or wrongly signed token.",
    413: "Body over 4 MiB.",
    503: "Database unavailable; retry.",
}


def error_responses(**specific: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a router: the errors every route shares, plus its
    own texts (``e403="..."``), each with the ``{"message"}`` body."""
    texts: dict[int, str] = {**COMMON_ERRORS, **{int(k[1:]): v for k, v in specific.items()}}
    return {code: {"model": ErrorBody, "description": texts[code]} for code in sorted(texts)}


def message(status: int, text: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": text}, status_code=status, headers=headers)


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [f"{_field(tuple(e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:5]]
    return message(400, "; ".join(problems))


def transition_json(exc: TransitionRefused) -> dict[str, Any]:
    """A refused state change: the states a client may ask for instead."""
    return {
        "message": str(exc),
        "state": exc.current.value,
        "requested": exc.requested.value,
        "allowed": [s.value for s in exc.allowed],
    }


def answer(request: Request, exc: DeconflictError) -> JSONResponse:
    """The response to any of our errors: the status is the class's ``http_status``.

    The body is ``{"message"}`` for a caller's mistake; a refused transition adds the
    states it may take instead; auth failures carry their RFC 6750 challenge
    (``security.auth_error_response``); a 5xx carries the request's id, and one no class
    explains is logged with its traceback under that id.
    """
    if isinstance(exc, AuthError):
        return auth_error_response(exc)
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s is not None else None
    if isinstance(exc, TransitionRefused):
        return JSONResponse(transition_json(exc), status_code=exc.http_status)
    if isinstance(exc, StoreUnavailable):
        return _ours(
            request, exc.http_status, "the database is unavailable; retry shortly", headers
        )
    if exc.http_status == 500:
        return _internal_error(request, exc)
    if exc.http_status > 500:
        return _ours(request, exc.http_status, str(exc), headers)
    return message(exc.http_status, str(exc), headers)


async def error_handler(request: Request, exc: Exception) -> JSONResponse:
    """``answer`` as an exception handler (apps that install only part of the API use it
    for the errors they meet)."""
    assert isinstance(exc, DeconflictError)
    return answer(request, exc)


def _ours(
    request: Request, status: int, text: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A 5xx: its body carries the request's id, the one the log lines carry."""
    body = {"message": text, "request_id": request_id.of_scope(request.scope) or "-"}
    return JSONResponse(body, status_code=status, headers=headers)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    return _internal_error(request, exc)


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Our own failure: a 500 whose error id the log carries with the traceback, so an
    operator can find what a client reports; never the client's 400.

    The error id is the request's id (``request_id.py``), so one id names the request
    in the client's report, the response header and the log. This handler runs outside
    the id middleware, so it reads the id from the scope, sets the header itself, and
    sets the id again while it logs, so the traceback's record carries it too.
    """
    error_id = request_id.of_scope(request.scope) or request_id.new_id()
    token = request_id.current.set(error_id)
    try:
        log.error(
            "internal error %s on %s %s",
            error_id,
            request.method,
            request.url.path,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
    finally:
        request_id.current.reset(token)
    return JSONResponse(
        {
            "message": f"internal error {error_id}: a fault in the service, not in the "
            "request; the service log has its details under this id",
            "error_id": error_id,
            "request_id": error_id,
        },
        status_code=500,
        headers={request_id.HEADER: error_id},
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    """Framework errors (unparsable body, unknown path, wrong method) in our shape."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    if exc.status_code >= 500:
        return _ours(request, exc.status_code, str(exc.detail), headers or None)
    return message(exc.status_code, str(exc.detail), headers or None)


def _allowed_methods(request: Request) -> set[str]:
    """The methods the documented path offers (Starlette names only one route's).

    The request path is matched against the OpenAPI paths, literal templates before
    parameterised ones, so ``/x/query`` answers for ``/x/query`` and not ``/x/{id}``.
    """
    paths: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        request.app.state, "_allow_index", None
    )
    if paths is None:
        items = request.app.openapi().get("paths", {})
        ordered = sorted(items.items(), key=lambda kv: (kv[0].count("{"), kv[0]))
        paths = [
            (
                re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"),
                {m.upper() for m in item if m in _HTTP_METHODS},
            )
            for path, item in ordered
        ]
        request.app.state._allow_index = paths
    for pattern, methods in paths:
        if pattern.match(request.url.path):
            return methods
    return set()


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DeconflictError, error_handler)
    app.add_exception_handler(Exception, _internal)
