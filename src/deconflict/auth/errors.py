"""Authentication and authorisation failures, each mapped to one HTTP status.

Messages are meant for the caller: they say which rule the token broke, so that a party
integrating with the service can fix its client, but never echo key material, signatures
or the token itself.
"""

from __future__ import annotations

from deconflict.errors import DeconflictError


class AuthError(DeconflictError):
    """Base class; ``status_code`` is what the HTTP edge answers."""

    status_code: int = 401

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(AuthError):
    """The caller did not prove who it is: no token, or a token we cannot trust (401)."""

    status_code = 401


class Forbidden(AuthError):
    """The caller is known but not allowed: missing scope or someone else's resource (403).

    ``required`` lists the scope alternatives when the refusal is about scopes, so the
    edge can advertise them in ``WWW-Authenticate`` (RFC 6750 ``insufficient_scope``).
    """

    status_code = 403

    def __init__(self, message: str, required: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.required = required


class KeysUnavailable(AuthError):
    """The keys needed to check the token could not be fetched right now (503).

    This is not the caller's fault: its token may well be valid. Answering 401 would make
    a well-behaved client throw away a good token; 503 tells it to retry.
    """

    status_code = 503
