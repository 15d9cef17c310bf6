"""A token verified once is trusted for a minute without a second signature check,
never past its own expiry."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from deconflict.auth.issuers import TrustedIssuer
from deconflict.auth.verify import CACHE_TTL_S, TokenVerifier
from deconflict.errors import Unauthenticated
from tests.auth.conftest import NOW, sign, trusting


class Clocks:
    def __init__(self) -> None:
        self.wall = NOW
        self.mono = 0.0


def verifier(key: rsa.RSAPrivateKey, clocks: Clocks) -> TokenVerifier:
    return TokenVerifier(
        issuers=[trusting(key)],
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
    )


def counting(v: TokenVerifier, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every signature check ``v`` makes."""
    checked: list[str] = []
    real = v._verified_claims

    def spy(token: str, kid: str | None, issuer: TrustedIssuer) -> dict[str, object]:
        checked.append(token)
        return real(token, kid, issuer)

    monkeypatch.setattr(v, "_verified_claims", spy)
    return checked


def test_the_same_token_is_checked_once_within_the_cache_lifetime(
    trusted_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    clocks = Clocks()
    v = verifier(trusted_key, clocks)
    checked = counting(v, monkeypatch)
    token = sign(trusted_key)
    first = v.verify(token)
    clocks.mono += CACHE_TTL_S / 2
    assert v.verify(token) == first
    assert len(checked) == 1


def test_after_the_cache_lifetime_the_signature_is_checked_again(
    trusted_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    clocks = Clocks()
    v = verifier(trusted_key, clocks)
    checked = counting(v, monkeypatch)
    token = sign(trusted_key)
    v.verify(token)
    clocks.mono += CACHE_TTL_S + 1
    v.verify(token)
    assert len(checked) == 2


def test_a_cached_token_fails_as_soon_as_it_expires(trusted_key: rsa.RSAPrivateKey) -> None:
    clocks = Clocks()
    v = verifier(trusted_key, clocks)
    token = sign(trusted_key, exp=int(NOW) + 30)
    v.verify(token)
    clocks.wall += 60
    with pytest.raises(Unauthenticated, match="expired"):
        v.verify(token)


def test_a_rejected_token_is_not_cached(
    trusted_key: rsa.RSAPrivateKey, untrusted_key: rsa.RSAPrivateKey
) -> None:
    v = verifier(trusted_key, Clocks())
    forged = sign(untrusted_key)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            v.verify(forged)
