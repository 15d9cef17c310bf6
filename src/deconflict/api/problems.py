"""The native API's error responses: ``{"message": ...}`` with the status a client can act on.

``answer`` is the one place an error of ours becomes a response; the status is the
error class's own (``deconflict.errors``), never chosen here. Framework errors (an
unparsable body, an unknown path) and unexpected exceptions get the same body shapes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
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
    429: "Over the requests per second of the token's subject or the client's address "
    "(or the party's heavy-request slots): retry after `Retry-After` seconds.",
    503: "Database unavailable; retry.",
}


def error_responses(**specific: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a router: the errors every route shares, plus its
    own texts (``e403="..."``), each with the ``{"message"}`` body."""
    texts: dict[int, str] = {**COMMON_ERRORS, **{int(k[1:]): v for k, v in specific.items()}}
    return {code: {"model": ErrorBody, "description": texts[code]} for code in sorted(texts)}


def message(status: int, text: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": text}, status_code=status, headers=headers)


def _field(loc: Sequence[int | str]) -> str:
    """``volumes[0].geometry``: a location as a client would write it."""
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) or p.isdigit() else (f".{p}" if out else p)
    return out


_SOURCES = ("body", "query", "path", "header", "cookie")


def _sent_path(
    loc: Sequence[int | str], sent: Any, missing: bool
) -> tuple[list[int | str], tuple[int | str, ...] | None]:
    """The part of ``loc`` that names what the client sent, and the branch it was in.

    Pydantic puts the names of what it tried into a location: each member of a union
    (``Circle``, ``function-after[...]``, ``list[...]``) and each wrapper. Those are ours,
    not the client's, so every step is kept only when it indexes into the body the
    client sent; a field reported missing is kept as the last step (it was not sent,
    but it is the one to add). The branch is ``loc`` up to the first step left out (a
    union member), or None.
    """
    path: list[int | str] = []
    branch: tuple[int | str, ...] | None = None
    here = sent
    steps = list(loc)
    for k, step in enumerate(steps):
        last = k == len(steps) - 1
        found, child = _child(here, step)
        if found:
            path.append(step)
            here = child
        elif missing and last and isinstance(step, str) and isinstance(here, dict):
            path.append(step)
        elif branch is None:
            branch = tuple(steps[: k + 1])
    return path, branch


def _child(value: Any, step: int | str) -> tuple[bool, Any]:
    """``value[step]`` when the client's JSON has it (a key of an object, an index of an
    array), else ``(False, None)``."""
    if isinstance(value, dict) and isinstance(step, str) and step in value:
        return True, value[step]
    if isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
        return True, value[step]
    return False, None


def _closest_members(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the errors of a union's members, those of the member closest to what was sent.

    A value that fits no member of a union gets an error for every member, most of them
    about fields the client never meant to send (a square's side for a circle). The
    member with the fewest problems is the one the client meant; when several tie, only
    the fields all of them fault are told (typically the discriminator, with every value
    it may take).
    """
    by_union: dict[tuple[int | str, ...], dict[int | str, list[dict[str, Any]]]] = {}
    kept: list[dict[str, Any]] = []
    for error in errors:
        branch = error["_branch"]
        if branch is None:
            kept.append(error)
            continue
        by_union.setdefault(branch[:-1], {}).setdefault(branch[-1], []).append(error)
    for members in by_union.values():
        fewest = min(len(found) for found in members.values())
        closest = [found for found in members.values() if len(found) == fewest]
        if len(closest) == 1:
            kept.extend(closest[0])
            continue
        common = set.intersection(*({e["_name"] for e in found} for found in closest))
        for name in sorted(common):
            same = [e for found in closest for e in found if e["_name"] == name]
            expected = [(e.get("ctx") or {}).get("expected") for e in same]
            if all(e["type"] == "literal_error" for e in same) and all(expected):
                merged = " or ".join(dict.fromkeys(str(x) for x in expected))
                kept.append({**same[0], "msg": f"input should be {merged}"})
            else:
                kept.append(same[0])
    return kept


def _got(error: dict[str, Any]) -> str:
    """``, got 'x'``: the value a type error refused, when it is short and plain."""
    value = error.get("input")
    if error["type"] == "missing" or not isinstance(value, str | int | float | bool):
        return ""
    # The standard library's encoder: orjson refuses integers past 64 bits, which a
    # client may well have sent.
    text = json.dumps(value, ensure_ascii=False)
    return f", got {text}" if len(text) <= 40 else ""


def _rule(error: dict[str, Any]) -> str:
    """Pydantic's message, without its ``Value error, `` prefix (our validators' text)."""
    text = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def json_position(doc: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of character ``offset`` in ``doc``."""
    line = doc.count("\n", 0, offset) + 1
    column = offset - (doc.rfind("\n", 0, offset) + 1) + 1
    return line, column


def validation_message(exc: RequestValidationError) -> str:
    """A 400's text: each field the client sent, as it wrote it, and what was wrong.

    Unparsable JSON is told by line and column (as an editor shows them), not by a
    character offset; at most five problems are listed, one per field.
    """
    named: list[dict[str, Any]] = []
    for at, error in enumerate(exc.errors()):
        loc = tuple(error["loc"])
        if error["type"] == "json_invalid":
            doc = exc.body if isinstance(exc.body, str) else ""
            offset = loc[-1] if loc and isinstance(loc[-1], int) else 0
            line, column = json_position(doc, offset)
            reason = (error.get("ctx") or {}).get("error", "not JSON")
            return f"body: invalid JSON at line {line}, column {column}: {reason}"
        source, rest = (loc[0], loc[1:]) if loc and loc[0] in _SOURCES else ("body", loc)
        branch = None
        if source == "body":
            sent, branch = _sent_path(rest, exc.body, error["type"] == "missing")
            rest = tuple(sent)
        named.append({**error, "_at": at, "_name": _field(rest) or str(source), "_branch": branch})
    problems: dict[str, str] = {}
    for error in sorted(_closest_members(named), key=lambda e: int(e["_at"])):
        name = error["_name"]
        problems.setdefault(name, f"{name}: {_rule(error)}{_got(error)}")
        if len(problems) == 5:
            break
    return "; ".join(problems.values())


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return message(400, validation_message(exc))


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
