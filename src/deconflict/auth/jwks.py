"""Keys published by an external authority as a JWKS document, fetched and cached.

Refresh policy, chosen so that key rotation works without a restart and a flood of forged
tokens cannot turn the service into a load generator against the authority:

* the document is refetched when older than ``max_age_s`` (periodic refresh);
* a token naming a ``kid`` we do not hold triggers a refetch (rotation);
* either kind of fetch happens at most once per ``min_refresh_interval_s``;
* a failed fetch keeps the keys we already have (an outage of the authority should not
  log every party out), but a key we have never seen cannot be vouched for while the
  authority is unreachable: that is reported as :class:`KeysUnavailable` (503).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from deconflict.auth.keys import MIN_RSA_BITS, key_id
from deconflict.errors import JwksFetchError, KeysUnavailable

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 1024 * 1024


class JwksCache:
    """Thread-safe: FastAPI runs the (sync) auth dependency in a thread pool."""

    def __init__(
        self,
        url: str,
        *,
        max_age_s: float = 300.0,
        min_refresh_interval_s: float = 10.0,
        timeout_s: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._max_age_s = max_age_s
        self._min_interval_s = min_refresh_interval_s
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._last_attempt_failed = False
        self.fetch_count = 0
        """Fetches attempted so far; lets tests observe the refresh policy."""

    def due(self) -> bool:
        """True when the key set is older than its maximum age: the next verification
        must look at a fresh copy (a key may have been withdrawn), not a cached result."""
        with self._lock:
            fetched = self._fetched_at
            return fetched is None or self._monotonic() - fetched >= self._max_age_s

    def due_or_busy(self) -> bool:
        """``due()`` for a caller that must not wait (the event loop): a refresh holds
        the lock through its HTTP request, and then the answer is True, as if due."""
        if not self._lock.acquire(blocking=False):
            return True
        try:
            fetched = self._fetched_at
            return fetched is None or self._monotonic() - fetched >= self._max_age_s
        finally:
            self._lock.release()

    def candidates(self, kid: str | None) -> list[rsa.RSAPublicKey]:
        """Keys that may have signed a token with this ``kid`` (all of them if it has none)."""
        with self._lock:
            now = self._monotonic()
            stale = self._fetched_at is None or now - self._fetched_at >= self._max_age_s
            unknown = kid is not None and kid not in self._keys
            may_fetch = (
                self._attempted_at is None or now - self._attempted_at >= self._min_interval_s
            )
            if (stale or unknown) and may_fetch:
                self._refresh(now)
            if kid is not None and kid in self._keys:
                return [self._keys[kid]]
            if self._last_attempt_failed and (self._fetched_at is None or kid is not None):
                raise KeysUnavailable(
                    "the token's signing key cannot be checked right now because the "
                    "authority's key set is unreachable; retry shortly"
                )
            if kid is None:
                return list(self._keys.values())
            return []

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        self.fetch_count += 1
        try:
            keys = parse_jwks(self._fetch())
        except JwksFetchError as exc:
            self._last_attempt_failed = True
            log.warning("JWKS refresh from %s failed: %s", self.url, exc)
            return
        self._keys = keys
        self._fetched_at = now
        self._last_attempt_failed = False

    def _fetch(self) -> Any:
        try:
            with (
                httpx.Client(timeout=self._timeout_s, follow_redirects=False) as client,
                client.stream("GET", self.url, headers={"Accept": "application/json"}) as resp,
            ):
                if resp.status_code != 200:
                    raise JwksFetchError(f"HTTP {resp.status_code}")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_JWKS_BYTES:
                        raise JwksFetchError(f"document larger than {MAX_JWKS_BYTES} bytes")
        except httpx.HTTPError as exc:
            raise JwksFetchError(type(exc).__name__) from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise JwksFetchError("document is not JSON") from exc


def parse_jwks(document: Any) -> dict[str, rsa.RSAPublicKey]:
    """RS256 signing keys by ``kid``; entries we cannot use are skipped, not fatal.

    An authority may publish encryption keys or other algorithms next to its RS256 key;
    one odd entry must not make every token unverifiable. Keys without a ``kid`` are
    filed under their RFC 7638 thumbprint.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise JwksFetchError("document has no 'keys' list")
    keys: dict[str, rsa.RSAPublicKey] = {}
    for entry in document["keys"]:
        key = _rsa_signing_key(entry)
        if key is None:
            continue
        kid = entry.get("kid")
        keys[kid if isinstance(kid, str) and kid else key_id(key)] = key
    if not keys:
        log.warning("JWKS document holds no usable RS256 keys")
    return keys


def _rsa_signing_key(entry: Any) -> rsa.RSAPublicKey | None:
    if not isinstance(entry, Mapping) or entry.get("kty") != "RSA":
        return None
    if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
        return None
    try:
        key = RSAAlgorithm.from_jwk(dict(entry))
    except Exception:  # PyJWT raises several types for malformed JWKs
        return None
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    if not isinstance(public, rsa.RSAPublicKey) or public.key_size < MIN_RSA_BITS:
        return None
    return public
