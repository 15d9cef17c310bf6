"""Verification of bearer tokens: RS256 only, trusted keys only, short-lived only.

The checks, in the order a token meets them:

1. shape: at most ``MAX_TOKEN_CHARS`` characters, a JWS compact serialisation;
2. header: ``alg`` must be exactly ``RS256``. ``none``, ``HS256`` and every other value
   are refused *before* any key is touched, so an attacker cannot pick an algorithm that
   reinterprets a public key as a shared secret (the classic RS/HS confusion);
3. issuer: ``iss`` must name a trusted issuer (read before the signature only to pick
   that issuer's keys; nothing else is believed until the signature holds);
4. signature: against that issuer's PEM keys, then its JWKS keys for the token's ``kid``;
   a key trusted for another issuer never vouches for this one;
5. claims: ``aud`` names an accepted audience; ``sub``, ``iss`` and ``exp`` present;
   ``exp`` not past, and not more than ``max_lifetime_s`` ahead (a long-lived token
   stolen once would be useful for too long); ``nbf``/``iat`` not in the future. All time
   checks allow ``leeway_s`` of clock skew and use an injectable clock;
6. binding: the issuer may speak for ``sub`` (its subject patterns), and grants operator
   scopes (``deconflict.admin``) only if it is configured as an operator issuer.

Failures raise :class:`Unauthenticated` (401), or :class:`KeysUnavailable` (503) when the
JWKS is unreachable and no key we hold could have signed the token.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

from deconflict.auth.issuers import OPERATOR_SCOPES, TrustedIssuer, by_issuer, own_issuer, shown
from deconflict.auth.jwks import JwksCache
from deconflict.auth.keys import key_id, load_or_create_signing_key, load_public_key
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import parse_scope_claim
from deconflict.auth.trust import MAX_TOKEN_LIFETIME_S, AuthSettings
from deconflict.errors import InvalidInput, Unauthenticated

ALGORITHM = "RS256"
MAX_TOKEN_CHARS = 16 * 1024
REQUIRED_CLAIMS = ("exp", "iss", "sub")

CACHE_TTL_S = 60.0
"""How long a verified token is trusted without checking its signature again: bounds how
long a token signed by a key that was since withdrawn (a rotated JWKS, a removed PEM)
keeps working in a running service."""
CACHE_SIZE = 4096


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal`, or says exactly why it cannot."""

    def __init__(
        self,
        *,
        issuers: Sequence[TrustedIssuer],
        audiences: Iterable[str] = ("localhost",),
        max_lifetime_s: float = MAX_TOKEN_LIFETIME_S,
        leeway_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._audiences = tuple(audiences)
        if not issuers:
            # A verifier that trusts nothing would answer 401 to everyone; that is a
            # configuration mistake best reported at start-up.
            raise InvalidInput("auth", "no trusted keys: configure a PEM key or a JWKS URL")
        if not self._audiences:
            raise InvalidInput("auth.audiences", "at least one audience is required")
        self._issuers = by_issuer(issuers)
        self._keys = {
            name: {key_id(key): key for key in entry.keys} for name, entry in self._issuers.items()
        }
        self._jwks = [entry.jwks for entry in self._issuers.values() if entry.jwks is not None]
        self._max_lifetime_s = max_lifetime_s
        self._leeway_s = leeway_s
        self._clock = clock
        self._monotonic = monotonic
        self._cache: OrderedDict[str, tuple[float, dict[str, Any], Principal]] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: AuthSettings,
        data_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> TokenVerifier:
        """The verifier ``serve`` uses; creates the own key pair if it is trusted and absent."""
        issuers = [
            TrustedIssuer(
                entry.issuer,
                tuple(entry.subjects),
                keys=tuple(load_public_key(path) for path in entry.key_paths),
                jwks=None
                if entry.jwks_url is None
                else JwksCache(
                    entry.jwks_url,
                    max_age_s=settings.jwks_max_age_s,
                    min_refresh_interval_s=settings.jwks_min_refresh_interval_s,
                    timeout_s=settings.jwks_timeout_s,
                    monotonic=monotonic,
                ),
                operator=entry.operator,
            )
            for entry in settings.trusted_issuers
        ]
        if settings.trust_own_key:
            own = load_or_create_signing_key(data_dir).public_key()
            issuers.append(own_issuer(settings.issuer, own))
        return cls(
            issuers=issuers,
            audiences=settings.audiences,
            max_lifetime_s=settings.max_token_lifetime_s,
            leeway_s=settings.leeway_s,
            clock=clock,
            monotonic=monotonic,
        )

    @property
    def audiences(self) -> tuple[str, ...]:
        return self._audiences

    def verify(self, token: str) -> Principal:
        """The token's principal. A token verified in the last ``CACHE_TTL_S`` seconds
        skips the RSA signature check (a client sends the same token with every
        request, and the check was a fifth of a request's CPU); its times are checked
        again on every use, so an expired token fails as soon as it expires, and a
        key set due for a refresh is refreshed first, so a withdrawn key stops working
        exactly when it would without the cache."""
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated(f"token is longer than {MAX_TOKEN_CHARS} characters")
        now = self._monotonic()
        with self._cache_lock:
            hit = self._cache.get(token)
            if hit is not None and (
                now - hit[0] > CACHE_TTL_S or any(jwks.due() for jwks in self._jwks)
            ):
                del self._cache[token]
                hit = None
        if hit is not None:
            self._check_times(hit[1])
            return hit[2]
        header = self._header(token)
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Unauthenticated("token header 'kid' must be a string")
        issuer = self._issuer(token)
        claims = self._verified_claims(token, kid, issuer)
        principal = self._principal(claims, issuer)
        with self._cache_lock:
            self._cache[token] = (now, claims, principal)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return principal

    def verified_lately(self, token: str) -> Principal | None:
        """The principal ``verify`` would return for ``token`` without any work beyond a
        look-up (a fresh cache hit whose times still hold, no key set due for a
        refresh), else ``None``: then ``verify`` must be asked, and gives its answer or
        its error. It never waits on I/O, so the event loop may call it (a JWKS refresh
        in ``verify`` is an HTTP request); it changes nothing, so ``verify`` after it
        behaves as it would have alone."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        with self._cache_lock:
            hit = self._cache.get(token)
        if hit is None or self._monotonic() - hit[0] > CACHE_TTL_S:
            return None
        if any(jwks.due_or_busy() for jwks in self._jwks):
            return None
        try:
            self._check_times(hit[1])
        except Unauthenticated:
            return None
        return hit[2]

    def _header(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("token is not a well-formed JWT") from None
        alg = header.get("alg")
        if alg != ALGORITHM:
            shown = alg if isinstance(alg, str) and len(alg) <= 16 else "another algorithm"
            raise Unauthenticated(f"token is signed with {shown}; only RS256 is accepted")
        return header

    def _issuer(self, token: str) -> TrustedIssuer:
        """The trusted issuer the token names; its claims are read unverified here only
        to choose whose keys must have signed it."""
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthenticated("token is not a well-formed JWT") from None
        iss = unverified.get("iss")
        if iss is None:
            raise Unauthenticated("token lacks the required 'iss' claim")
        if not isinstance(iss, str) or not iss.strip():
            raise Unauthenticated("token claim 'iss' must be a non-empty string")
        issuer = self._issuers.get(iss)
        if issuer is None:
            raise Unauthenticated(f"token issuer {shown(iss)} is not trusted here")
        return issuer

    def _verified_claims(
        self, token: str, kid: str | None, issuer: TrustedIssuer
    ) -> dict[str, Any]:
        for key in self._static_candidates(kid, issuer.issuer):
            claims = self._decode(token, key)
            if claims is not None:
                return claims
        if issuer.jwks is not None:
            for key in issuer.jwks.candidates(kid):
                claims = self._decode(token, key)
                if claims is not None:
                    return claims
        # The token's key id is named so a user can tell which key signed it (a token
        # minted in another data directory than the service's is the usual cause).
        raise Unauthenticated(
            "token signature does not verify against any trusted key of issuer "
            + shown(issuer.issuer)
            + f" (the token's key id: {shown(kid) if kid is not None else 'none'})"
        )

    def _static_candidates(self, kid: str | None, issuer: str) -> list[rsa.RSAPublicKey]:
        # PEM keys carry no kid of their own, and a foreign issuer may label its tokens
        # with any kid; so every PEM key of the issuer is a candidate, the thumbprint first.
        own = self._keys[issuer]
        keys = list(own.values())
        if kid in own:
            keys.remove(own[kid])
            keys.insert(0, own[kid])
        return keys

    def _decode(self, token: str, key: rsa.RSAPublicKey) -> dict[str, Any] | None:
        """Claims if ``key`` signed the token; ``None`` if it did not; raises if bad claims."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=list(self._audiences),
                options={
                    "require": list(REQUIRED_CLAIMS),
                    # Times are checked below against the injectable clock.
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": True,
                },
            )
        except jwt.InvalidSignatureError:
            return None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"token lacks the required '{exc.claim}' claim") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(
                "token audience is not accepted here (accepted: " + ", ".join(self._audiences) + ")"
            ) from None
        except InvalidSubjectError:
            raise Unauthenticated("token claim 'sub' must be a string") from None
        except InvalidJTIError:
            raise Unauthenticated("token claim 'jti' must be a string") from None
        except jwt.PyJWTError:
            raise Unauthenticated("token is not a well-formed JWT") from None
        self._check_times(claims)
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._clock()
        leeway = self._leeway_s
        exp = _numeric_claim(claims, "exp")
        if exp is None:
            raise Unauthenticated("token lacks the required 'exp' claim")
        if now > exp + leeway:
            raise Unauthenticated("token has expired")
        if exp > now + self._max_lifetime_s + leeway:
            raise Unauthenticated(
                f"token expires more than {int(self._max_lifetime_s)} s from now; "
                "issue tokens that live at most one hour"
            )
        nbf = _numeric_claim(claims, "nbf")
        if nbf is not None and nbf > now + leeway:
            raise Unauthenticated("token is not valid yet (nbf is in the future)")
        iat = _numeric_claim(claims, "iat")
        if iat is not None and iat > now + leeway:
            raise Unauthenticated("token was issued in the future (iat); check the issuer's clock")

    def _principal(self, claims: dict[str, Any], issuer: TrustedIssuer) -> Principal:
        sub, iss = claims["sub"], claims["iss"]
        if not isinstance(sub, str) or not sub.strip():
            raise Unauthenticated("token claim 'sub' must be a non-empty string")
        if iss != issuer.issuer:
            # The signed claims must say what the unverified read said.
            raise Unauthenticated("token claim 'iss' does not match its signer")
        if not issuer.may_assert(sub):
            raise Unauthenticated(
                f"issuer {shown(issuer.issuer)} may not speak for party {shown(sub)} "
                f"(it is trusted for: {', '.join(issuer.subjects)})"
            )
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise Unauthenticated("token claim 'scope' must be a space-separated string")
        scopes = parse_scope_claim(scope)
        operator = sorted(scopes & OPERATOR_SCOPES)
        if operator and not issuer.operator:
            raise Unauthenticated(
                f"issuer {shown(issuer.issuer)} may not grant {', '.join(operator)}: "
                "only issuers configured as operator issuers may"
            )
        expires = _numeric_claim(claims, "exp")
        return Principal(sub=sub, issuer=iss, scopes=scopes, expires_at=expires)


def _numeric_claim(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthenticated(f"token claim '{name}' must be a number of seconds")
    return float(value)
