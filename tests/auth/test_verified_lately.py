"""The event loop's look-up of a lately verified token (``verified_lately``), and the
scope dependency built on it: a token's later requests are admitted without a worker
thread, and answered exactly as when every request went through ``verify``."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from deconflict.api import security
from deconflict.auth.jwks import JwksCache
from deconflict.auth.keys import public_jwk
from deconflict.auth.principal import Principal
from deconflict.auth.verify import CACHE_TTL_S, TokenVerifier
from deconflict.errors import Unauthenticated
from tests.auth.conftest import NOW, JwksServer, build_app, sign, trusting


class Clocks:
    def __init__(self) -> None:
        self.wall = NOW
        self.mono = 0.0


def verifier(
    key: rsa.RSAPrivateKey, clocks: Clocks, jwks: JwksCache | None = None
) -> TokenVerifier:
    issuers = [trusting(key)] if jwks is None else [trusting(jwks=jwks)]
    return TokenVerifier(
        issuers=issuers,
        leeway_s=10,
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
    )


def test_only_a_token_verified_lately_is_known(trusted_key: rsa.RSAPrivateKey) -> None:
    clocks = Clocks()
    v = verifier(trusted_key, clocks)
    token = sign(trusted_key)
    assert v.verified_lately(token) is None  # never verified: ``verify`` must see it
    principal = v.verify(token)
    assert v.verified_lately(token) == principal
    clocks.mono += CACHE_TTL_S + 1
    assert v.verified_lately(token) is None  # as ``verify`` checks the signature again


def test_an_expired_token_is_left_to_verify_which_refuses_it(
    trusted_key: rsa.RSAPrivateKey,
) -> None:
    clocks = Clocks()
    v = verifier(trusted_key, clocks)
    token = sign(trusted_key, exp=int(NOW) + 30)
    v.verify(token)
    clocks.wall += 30 + 10 + 1  # past exp and the leeway
    assert v.verified_lately(token) is None
    with pytest.raises(Unauthenticated):
        v.verify(token)


def test_a_key_set_due_or_being_refreshed_sends_the_token_to_verify(
    trusted_key: rsa.RSAPrivateKey, jwks_server: JwksServer
) -> None:
    clocks = Clocks()
    jwks_server.keys.append(public_jwk(trusted_key.public_key()))
    cache = JwksCache(jwks_server.url, max_age_s=300, monotonic=lambda: clocks.mono)
    v = verifier(trusted_key, clocks, jwks=cache)
    token = sign(trusted_key)
    principal = v.verify(token)
    assert v.verified_lately(token) == principal
    # A refresh holds the key set's lock through its HTTP request: the event loop must
    # not wait for it, so the token goes to ``verify`` (in a worker thread).
    with cache._lock:
        done: list[Principal | None] = []

        def look() -> None:
            done.append(v.verified_lately(token))

        probe = threading.Thread(target=look)
        probe.start()
        probe.join(timeout=5)
        assert not probe.is_alive() and done == [None]
    clocks.mono += 300  # due for a refresh: a withdrawn key must stop working now
    assert v.verified_lately(token) is None


# ------------------------------------------------------------------ through HTTP


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seen(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.content


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each call ``security`` hands to the thread pool."""
    calls: list[Any] = []
    real = vars(security)["run_in_threadpool"]

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(security, "run_in_threadpool", counted)
    return calls


def test_a_tokens_later_requests_take_no_thread_and_get_the_same_answers(
    trusted_key: rsa.RSAPrivateKey, threads: list[Any]
) -> None:
    clocks = Clocks()
    client = TestClient(build_app(verifier(trusted_key, clocks)))
    token = sign(trusted_key, scope="utm.strategic_coordination")
    for path in ("/dss", "/v1/plan", "/owned/someone-else", "/both"):  # 200, 403s
        first = client.get(path, headers=bearer(token))
        assert len(threads) == 1  # the token's first sight: verified in a thread
        assert seen(client.get(path, headers=bearer(token))) == seen(first)
        assert len(threads) == 1  # later ones on the event loop
    assert client.get("/dss", headers=bearer(token)).status_code == 200


def test_failures_still_take_the_full_path_and_are_recorded(
    trusted_key: rsa.RSAPrivateKey, threads: list[Any]
) -> None:
    clocks = Clocks()
    app = build_app(verifier(trusted_key, clocks))
    recorded: list[str] = []
    setattr(
        app.state,
        security.AUTH_FAILURE_STATE_ATTR,
        lambda reason, header, path, client: recorded.append(reason),
    )
    client = TestClient(app)
    token = sign(trusted_key, exp=int(NOW) + 30)
    assert client.get("/dss", headers=bearer(token)).status_code == 200
    clocks.wall += 41
    expired = client.get("/dss", headers=bearer(token))
    fresh = TestClient(build_app(verifier(trusted_key, clocks))).get("/dss", headers=bearer(token))
    assert seen(expired) == seen(fresh)
    assert expired.status_code == 401 and recorded and "expired" in recorded[-1]
    missing = client.get("/dss")
    # In threads: the first sight, the expired token, the fresh app's, the missing header.
    assert missing.status_code == 401 and len(threads) == 4
