"""Minting RS256 access tokens for local use (``deconflict token``, tests, demos).

The claims follow ASTM F3548-21's list (``iss``, ``exp``, ``sub``, ``scope``, ``jti``) plus
``aud`` and ``iat``, so a locally minted token exercises exactly the checks a token from
a real authority would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from deconflict.auth.keys import key_id
from deconflict.auth.trust import MAX_TOKEN_LIFETIME_S
from deconflict.errors import InvalidInput


def mint_token(
    private_key: rsa.RSAPrivateKey,
    *,
    sub: str,
    scopes: Iterable[str],
    audience: str,
    issuer: str,
    lifetime_s: int = MAX_TOKEN_LIFETIME_S,
    now: float | None = None,
) -> str:
    """A signed token; ``now`` (Unix seconds) is injectable so tests need no real clock.

    Lifetimes over one hour are refused here rather than producing a token every
    conforming verifier, ours included, would reject.
    """
    if not sub.strip():
        raise InvalidInput("sub", "must not be blank")
    if not issuer.strip():
        raise InvalidInput("iss", "must not be blank")
    if not audience.strip():
        raise InvalidInput("aud", "must not be blank")
    if not 0 < lifetime_s <= MAX_TOKEN_LIFETIME_S:
        raise InvalidInput("lifetime_s", f"must be between 1 and {MAX_TOKEN_LIFETIME_S} seconds")
    scope_list = list(dict.fromkeys(scopes))
    for scope in scope_list:
        if not scope or any(ch.isspace() for ch in scope):
            raise InvalidInput("scope", f"{scope!r} is not a single scope name")
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "sub": sub,
        "aud": audience,
        "scope": " ".join(scope_list),
        "iat": issued,
        "exp": issued + lifetime_s,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(
        claims,
        private_key,
        algorithm="RS256",
        headers={"kid": key_id(private_key.public_key()), "typ": "JWT"},
    )
