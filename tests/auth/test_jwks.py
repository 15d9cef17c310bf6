"""Keys from an authority's JWKS URL: fetched, cached, refreshed, and what an outage means.

Decision on outages: a token whose key we already hold keeps working while the JWKS is
unreachable (401 would log every party out during an authority hiccup); a token whose
key we cannot obtain gets 503 with ``Retry-After``, not 401, because it may be perfectly
valid and the client should retry rather than discard it.
"""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.warnings import InsecureKeyLengthWarning

from deconflict.auth.jwks import JwksCache
from deconflict.auth.keys import key_id, public_jwk
from deconflict.auth.verify import TokenVerifier
from tests.auth.conftest import NOW, JwksServer, build_app, new_key, sign, trusting


class Monotonic:
    """A hand-cranked monotonic clock for the cache's refresh timing."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def jwks_client(url: str, clock: Monotonic, *, min_interval: float = 10.0) -> TestClient:
    cache = JwksCache(url, max_age_s=300, min_refresh_interval_s=min_interval, monotonic=clock)
    verifier = TokenVerifier(
        issuers=[trusting(jwks=cache)], audiences=["localhost"], clock=lambda: NOW
    )
    return TestClient(build_app(verifier))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_message(response: httpx.Response, status: int, says: str) -> None:
    assert response.status_code == status, response.text
    assert set(response.json()) == {"message"}
    assert says in response.json()["message"]


@pytest.fixture(scope="module")
def key_a() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="module")
def key_b() -> rsa.RSAPrivateKey:
    return new_key()


def test_token_signed_by_a_published_key_is_accepted(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey
) -> None:
    jwks_server.keys = [public_jwk(key_a.public_key())]
    client = jwks_client(jwks_server.url, Monotonic())
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200
    assert jwks_server.hits == 1, "the key set is cached between requests"


def test_unknown_kid_refreshes_the_key_set_and_then_finds_the_key(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey
) -> None:
    clock = Monotonic()
    jwks_server.keys = [public_jwk(key_a.public_key())]
    client = jwks_client(jwks_server.url, clock)
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200

    jwks_server.keys.append(public_jwk(key_b.public_key()))  # the authority rotates
    clock.now += 30
    assert client.get("/v1/plan", headers=bearer(sign(key_b))).status_code == 200
    assert jwks_server.hits == 2


def test_unknown_kid_refresh_is_rate_limited(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey, untrusted_key: rsa.RSAPrivateKey
) -> None:
    clock = Monotonic()
    jwks_server.keys = [public_jwk(key_a.public_key())]
    client = jwks_client(jwks_server.url, clock, min_interval=10)
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200
    for n in range(5):
        forged = sign(untrusted_key, kid=f"invented-{n}")
        assert_message(client.get("/v1/plan", headers=bearer(forged)), 401, "trusted key")
    assert jwks_server.hits == 1, "invented kids within the interval cause no fetch"
    clock.now += 10
    client.get("/v1/plan", headers=bearer(sign(untrusted_key, kid="invented-later")))
    assert jwks_server.hits == 2


def test_key_set_is_refreshed_periodically_and_a_withdrawn_key_stops_working(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey
) -> None:
    clock = Monotonic()
    jwks_server.keys = [public_jwk(key_a.public_key())]
    client = jwks_client(jwks_server.url, clock)
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200

    jwks_server.keys = [public_jwk(key_b.public_key())]  # key A withdrawn
    clock.now += 299
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200
    clock.now += 2  # past max_age
    assert_message(client.get("/v1/plan", headers=bearer(sign(key_a))), 401, "trusted key")
    assert jwks_server.hits == 2


def test_token_without_kid_is_tried_against_every_published_key(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey
) -> None:
    jwks_server.keys = [public_jwk(key_a.public_key()), public_jwk(key_b.public_key())]
    client = jwks_client(jwks_server.url, Monotonic())
    assert client.get("/v1/plan", headers=bearer(sign(key_b, kid=None))).status_code == 200


def test_unusable_entries_in_the_key_set_are_skipped(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey
) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwks_server.keys = [
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
        {**public_jwk(key_a.public_key()), "use": "enc", "kid": "enc"},
        {**public_jwk(weak.public_key()), "kid": "weak"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        public_jwk(key_a.public_key()),
    ]
    client = jwks_client(jwks_server.url, Monotonic())
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200
    with pytest.warns(InsecureKeyLengthWarning):
        weak_token = sign(weak, kid="weak")
    assert_message(client.get("/v1/plan", headers=bearer(weak_token)), 401, "trusted key")


def test_unreachable_key_set_with_nothing_cached_is_503_with_retry_after(
    unreachable_url: str, key_a: rsa.RSAPrivateKey
) -> None:
    client = jwks_client(unreachable_url, Monotonic())
    response = client.get("/v1/plan", headers=bearer(sign(key_a)))
    assert_message(response, 503, "unreachable")
    assert int(response.headers["Retry-After"]) > 0


def test_during_an_outage_known_keys_keep_working_and_unknown_ones_are_503(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey, key_b: rsa.RSAPrivateKey
) -> None:
    clock = Monotonic()
    jwks_server.keys = [public_jwk(key_a.public_key())]
    cache = JwksCache(jwks_server.url, max_age_s=300, min_refresh_interval_s=10, monotonic=clock)
    client = TestClient(build_app(TokenVerifier(issuers=[trusting(jwks=cache)], clock=lambda: NOW)))
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200

    cache.url = "http://127.0.0.1:9/unreachable"  # the authority goes away
    clock.now += 600
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 200
    assert_message(client.get("/v1/plan", headers=bearer(sign(key_b))), 503, "retry")


def test_jwks_that_is_not_a_key_set_counts_as_unreachable(
    jwks_server: JwksServer, key_a: rsa.RSAPrivateKey
) -> None:
    jwks_server.keys = "not a list"  # type: ignore[assignment]
    client = jwks_client(jwks_server.url, Monotonic())
    assert client.get("/v1/plan", headers=bearer(sign(key_a))).status_code == 503


def test_pem_keys_and_jwks_work_side_by_side(
    jwks_server: JwksServer,
    key_a: rsa.RSAPrivateKey,
    trusted_key: rsa.RSAPrivateKey,
    unreachable_url: str,
) -> None:
    cache = JwksCache(unreachable_url, monotonic=Monotonic())
    verifier = TokenVerifier(issuers=[trusting(trusted_key, jwks=cache)], clock=lambda: NOW)
    client = TestClient(build_app(verifier))
    # A PEM-trusted token never needs the (here unreachable) JWKS.
    assert client.get("/v1/plan", headers=bearer(sign(trusted_key))).status_code == 200
    assert cache.fetch_count == 0
    assert key_id(key_a.public_key()) != key_id(trusted_key.public_key())
