"""The HTTP side of authentication: bearer parsing, scope checks, ``{"message"}`` errors.

Wiring (done once, where the app is built)::

    app.state.token_verifier = TokenVerifier.from_settings(settings.auth, settings.data_dir)
    install_auth_error_handlers(app)

and in routes::

    Coordinator = Annotated[Principal, Depends(require_scopes(Scope.STRATEGIC_COORDINATION))]

The verifier lives on ``app.state`` rather than in a module global so that tests and
several apps in one process can each trust different keys.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from typing import Annotated

from fastapi import FastAPI, HTTPException, Request, Security, WebSocket
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from deconflict.api.deps import SERVICES_STATE_ATTR
from deconflict.auth.principal import Principal
from deconflict.auth.verify import TokenVerifier
from deconflict.errors import AuthError, Forbidden, MissingCredentials, Unauthenticated
from deconflict.service.services import Services

VERIFIER_STATE_ATTR = "token_verifier"
"""Attribute of ``app.state`` that holds the :class:`TokenVerifier`."""

PRINCIPAL_STATE_ATTR = "principal"
"""Attribute of ``request.state`` set to the verified :class:`Principal` (for audit logs)."""

AUTH_FAILURE_STATE_ATTR = "audit_auth_failure"
"""Attribute of ``app.state`` holding ``(reason, authorization, path, client) -> None``,
called on every 401 (the audit log's record of authentication failures)."""

TOKEN_EXPIRED = "token expired"
"""Why a stream (SSE, WebSocket) ends when the token that opened it expires."""

# Only for the OpenAPI document (the "Authorize" button in /docs); the header is parsed
# below, because HTTPBearer cannot tell a missing header from a malformed one.
_openapi_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="RS256 JWT access token: `Authorization: Bearer <token>`.",
)


class AuthHTTPException(HTTPException):
    """An :class:`AuthError` on its way out as an HTTP response.

    It subclasses ``HTTPException`` so that, even if the app forgot
    :func:`install_auth_error_handlers`, the status and ``WWW-Authenticate`` header are
    still right (only the body would fall back to FastAPI's ``{"detail"}``).
    """

    def __init__(self, error: AuthError) -> None:
        super().__init__(
            status_code=error.http_status, detail=error.message, headers=_headers_for(error)
        )
        self.error = error


def _headers_for(error: AuthError) -> dict[str, str]:
    # RFC 6750 section 3: no error code when no credentials were sent at all.
    if isinstance(error, MissingCredentials):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if isinstance(error, Forbidden) and error.required:
        return {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}
    if error.retry_after_s is not None:
        return {"Retry-After": str(error.retry_after_s)}
    return {}


def auth_error_response(error: AuthError) -> JSONResponse:
    """The F3548 ``ErrorResponse`` shape, used for every auth failure."""
    return JSONResponse(
        status_code=error.http_status,
        content={"message": error.message},
        headers=_headers_for(error),
    )


async def _handle_auth_http_exception(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, AuthHTTPException):
        raise exc
    return auth_error_response(exc.error)


async def _handle_auth_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, AuthError):
        raise exc
    return auth_error_response(exc)


def install_auth_error_handlers(app: FastAPI) -> None:
    """Render auth failures as ``{"message"}``, including :class:`Forbidden` raised by
    routes themselves (e.g. for someone else's operation)."""
    app.add_exception_handler(AuthHTTPException, _handle_auth_http_exception)
    app.add_exception_handler(AuthError, _handle_auth_error)


def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 section 2.1)."""
    values = request.headers.getlist("authorization")
    if not values:
        raise MissingCredentials(
            "missing Authorization header; send 'Authorization: Bearer <token>'"
        )
    if len(values) > 1:
        raise Unauthenticated("more than one Authorization header")
    scheme, _, rest = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated("Authorization header must use the Bearer scheme")
    token = rest.strip()
    if not token or len(token.split()) != 1:
        raise Unauthenticated("Authorization header must be 'Bearer <token>' with one token")
    return token


def _wiring(conn: HTTPConnection) -> object:
    """Where the verifier and the failure recorder are: the app's ``Services`` when it
    has one (``create_app``), else ``app.state`` (an app wired by hand, as in tests)."""
    services = getattr(conn.app.state, SERVICES_STATE_ATTR, None)
    return services if isinstance(services, Services) else conn.app.state


def _verifier(conn: HTTPConnection) -> TokenVerifier:
    verifier = getattr(_wiring(conn), VERIFIER_STATE_ATTR, None)
    if not isinstance(verifier, TokenVerifier):
        # Failing loudly (500) beats silently letting requests through.
        raise RuntimeError(f"app.state.{VERIFIER_STATE_ATTR} is not set to a TokenVerifier")
    return verifier


def authenticate(request: Request) -> Principal:
    """Verify the request's bearer token; raises :class:`AuthHTTPException`."""
    try:
        principal = _verifier(request).verify(bearer_token(request))
    except AuthError as exc:
        record_auth_failure(request, exc)
        raise AuthHTTPException(exc) from None
    return _admitted(request, principal)


async def authenticate_async(request: Request) -> Principal:
    """``authenticate`` for the event loop: a token the verifier has lately verified
    (``TokenVerifier.verified_lately``, a client's every request after its first) is
    admitted here without a thread; anything else (a first sight of a token, which may
    fetch a JWKS, and every failure, which the audit records) goes to ``authenticate``
    in the thread pool, which answers as it always did."""
    try:
        token = bearer_token(request)
    except AuthError:
        token = None
    principal = None if token is None else _verifier(request).verified_lately(token)
    if principal is None:
        return await run_in_threadpool(authenticate, request)
    return _admitted(request, principal)


def _admitted(request: Request, principal: Principal) -> Principal:
    wiring = _wiring(request)
    if isinstance(wiring, Services):
        # The verified subject's rate (RateLimited, 429), never a claimed one's.
        wiring.rate_limits.check_subject(principal.sub)
    setattr(request.state, PRINCIPAL_STATE_ATTR, principal)
    return principal


def record_auth_failure(
    conn: HTTPConnection, error: AuthError, authorization: str | None = None
) -> None:
    """Hand a 401 to the audit log (HTTP requests and WebSockets alike);
    ``authorization`` stands in for the header when the token came another way."""
    wiring = _wiring(conn)
    record = (
        wiring.auth_failures
        if isinstance(wiring, Services)
        else getattr(wiring, AUTH_FAILURE_STATE_ATTR, None)
    )
    if record is not None and isinstance(error, Unauthenticated):
        client = conn.client.host if conn.client else None
        header = authorization or conn.headers.get("authorization")
        record(error.message, header, conn.url.path, client)


ScopeAlternative = str | Collection[str]


def require_scopes(*any_of: ScopeAlternative) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits a request when its token grants *any one* of ``any_of``.

    F3548 endpoints list several alternative security requirements (e.g. creating an
    operational intent is allowed with ``utm.strategic_coordination`` *or*
    ``utm.conformance_monitoring_sa``), so alternatives are OR-ed. An alternative may be
    a collection of scopes that must *all* be present, mirroring OpenAPI's
    ``[{Authority: [a, b]}]``. With no arguments, any verified token is enough.

    Handlers get the :class:`Principal` and decide finer rules themselves (e.g. only
    ``utm.conformance_monitoring_sa`` may set the Nonconforming state).
    """
    alternatives = tuple(
        frozenset({alt}) if isinstance(alt, str) else frozenset(alt) for alt in any_of
    )
    if any(not alt for alt in alternatives):
        raise ValueError("an empty scope alternative would admit every token")
    wanted = " or ".join(" and ".join(sorted(alt)) for alt in alternatives)

    # ``async`` so that FastAPI runs it on the event loop, not in a worker thread
    # (``authenticate_async`` sends what may wait there itself).
    async def dependency(
        request: Request,
        _docs: Annotated[HTTPAuthorizationCredentials | None, Security(_openapi_bearer)],
    ) -> Principal:
        principal = await authenticate_async(request)
        if alternatives and not any(principal.has_all(alt) for alt in alternatives):
            raise AuthHTTPException(
                Forbidden(
                    f"token does not grant a scope this endpoint needs: {wanted}",
                    required=tuple(sorted(set().union(*alternatives))),
                )
            )
        return principal

    return dependency


def websocket_principal(websocket: WebSocket, *any_of: str) -> Principal:
    """The verified principal of a WebSocket, whose token comes in the
    ``Authorization`` header or, for browsers (which cannot set headers on a
    WebSocket), as ``?access_token=``. Failures are audited like a request's 401."""
    token = None
    header = websocket.headers.get("authorization")
    if header:
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() == "bearer" and rest.strip():
            token = rest.strip()
    token = token or websocket.query_params.get("access_token")
    if token is None:
        raise Forbidden("send 'Authorization: Bearer <token>' or ?access_token=<token>")
    verifier = _verifier(websocket)
    try:
        principal = verifier.verify(token)
    except AuthError as exc:
        record_auth_failure(websocket, exc, f"Bearer {token}")
        raise
    if not principal.has_any(any_of):
        raise Forbidden("token grants none of " + ", ".join(any_of))
    return principal


def seconds_left(principal: Principal) -> float | None:
    """Seconds until the token behind ``principal`` expires (``None``: it names no expiry).

    A stream is authorised once, when it opens; without this, a stream opened with a
    token that has since expired (or was meant to be short-lived) kept delivering.
    """
    if principal.expires_at is None:
        return None
    return principal.expires_at - time.time()
