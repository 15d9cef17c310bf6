"""Authentication and authorisation: RS256 bearer tokens, trusted keys, scopes.

The pure parts (keys, tokens, verification, scopes) import nothing from the web layer,
so the CLI can mint tokens and tests can verify them without building an app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deconflict.auth.principal import Principal
from deconflict.auth.trust import AuthSettings
from deconflict.errors import AuthError, Forbidden, KeysUnavailable, Unauthenticated

if TYPE_CHECKING:
    from deconflict.auth.verify import TokenVerifier


def __getattr__(name: str) -> Any:
    """``TokenVerifier`` is imported when first asked for: it pulls in the JWT and HTTP
    libraries (0.3 s), and ``settings`` imports this package for ``AuthSettings`` alone,
    so every command (``deconflict check`` too) paid for them."""
    if name == "TokenVerifier":
        from deconflict.auth.verify import TokenVerifier

        return TokenVerifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AuthError",
    "AuthSettings",
    "Forbidden",
    "KeysUnavailable",
    "Principal",
    "TokenVerifier",
    "Unauthenticated",
]
