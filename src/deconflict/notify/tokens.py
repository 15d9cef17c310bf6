"""Access tokens the service mints for itself when it notifies USSs.

F3548 receivers check ``aud`` against their own host name, so each receiver gets a
token whose audience is its host; the scope is the one its endpoint requires. Tokens
are cached until shortly before they expire: minting signs with RSA, which would cost
more than the POST it authorises.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from deconflict.auth.tokens import mint_token
from deconflict.auth.trust import MAX_TOKEN_LIFETIME_S


class TokenSource(Protocol):
    def token(self, audience: str, scope: str) -> str: ...


class ServiceTokens:
    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | Callable[[], rsa.RSAPrivateKey],
        *,
        issuer: str,
        subject: str,
        lifetime_s: int = MAX_TOKEN_LIFETIME_S,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # A factory defers reading (or creating) the key until the first notification:
        # most processes never send one.
        self._key_or_factory = private_key
        self._key: rsa.RSAPrivateKey | None = None
        self._issuer = issuer
        self._subject = subject
        self._lifetime_s = lifetime_s
        self._margin_s = min(refresh_margin_s, lifetime_s / 2)
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def token(self, audience: str, scope: str) -> str:
        now = self._clock()
        with self._lock:
            hit = self._cache.get((audience, scope))
            if hit is not None and hit[0] - self._margin_s > now:
                return hit[1]
            if self._key is None:
                source = self._key_or_factory
                self._key = source if isinstance(source, rsa.RSAPrivateKey) else source()
            minted = mint_token(
                self._key,
                sub=self._subject,
                scopes=[scope],
                audience=audience,
                issuer=self._issuer,
                lifetime_s=self._lifetime_s,
                now=now,
            )
            self._cache[(audience, scope)] = (now + self._lifetime_s, minted)
            return minted
