"""Authentication and authorisation: RS256 bearer tokens, trusted keys, scopes.

The pure parts (keys, tokens, verification, scopes) import nothing from the web layer,
so the CLI can mint tokens and tests can verify them without building an app.
"""

from __future__ import annotations

from deconflict.auth.principal import Principal
from deconflict.auth.trust import AuthSettings
from deconflict.auth.verify import TokenVerifier
from deconflict.errors import AuthError, Forbidden, KeysUnavailable, Unauthenticated

__all__ = [
    "AuthError",
    "AuthSettings",
    "Forbidden",
    "KeysUnavailable",
    "Principal",
    "TokenVerifier",
    "Unauthenticated",
]
