"""Fixtures for the auth specification: keys, a fixed clock, a tiny app, a JWKS server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from deconflict.api.security import install_auth_error_handlers, require_scopes
from deconflict.auth.issuers import TrustedIssuer
from deconflict.auth.jwks import JwksCache
from deconflict.auth.keys import key_id
from deconflict.auth.principal import Principal
from deconflict.auth.scopes import Scope
from deconflict.auth.verify import TokenVerifier
from deconflict.errors import Forbidden

NOW = 1_800_000_000.0
"""The verifier's clock in every test: no test depends on the wall clock."""

ISSUER = "https://auth.example.com"
"""The ``iss`` of the tokens ``sign`` makes, and of the authority the verifiers trust."""


def trusting(
    *keys: rsa.RSAPrivateKey,
    jwks: JwksCache | None = None,
    subjects: tuple[str, ...] = ("*",),
    operator: bool = False,
    issuer: str = ISSUER,
) -> TrustedIssuer:
    """The authority ``issuer`` signing with ``keys`` (and/or a JWKS), naming ``subjects``."""
    return TrustedIssuer(
        issuer, subjects, keys=tuple(k.public_key() for k in keys), jwks=jwks, operator=operator
    )


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def trusted_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="session")
def untrusted_key() -> rsa.RSAPrivateKey:
    return new_key()


_DEFAULT = object()


def sign(key: rsa.RSAPrivateKey, *, kid: str | object | None = _DEFAULT, **overrides: Any) -> str:
    """A token with sensible claims; ``claim=None`` drops a claim."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "uss-alpha",
        "aud": "localhost",
        "scope": "utm.strategic_coordination deconflict.plan",
        "iat": int(NOW),
        "exp": int(NOW) + 1800,
        "jti": "4c1b6a1e-0000-4000-8000-000000000001",
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    headers = {} if kid is None else {"kid": key_id(key.public_key()) if kid is _DEFAULT else kid}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


# Module level: with postponed annotations FastAPI resolves these names from globals.
Planner = Annotated[Principal, Depends(require_scopes(Scope.PLAN))]
Dss = Annotated[
    Principal,
    Depends(require_scopes(Scope.STRATEGIC_COORDINATION, Scope.CONFORMANCE_MONITORING_SA)),
]
Both = Annotated[
    Principal,
    Depends(require_scopes((Scope.STRATEGIC_COORDINATION, Scope.CONSTRAINT_PROCESSING))),
]
Anyone = Annotated[Principal, Depends(require_scopes())]


def build_app(verifier: TokenVerifier) -> FastAPI:
    """The smallest app that exercises the dependency the real routes use."""
    app = FastAPI()
    app.state.token_verifier = verifier
    install_auth_error_handlers(app)

    @app.get("/v1/plan")
    def plan(principal: Planner) -> dict[str, Any]:
        return {"sub": principal.sub, "iss": principal.issuer, "scopes": sorted(principal.scopes)}

    @app.get("/dss")
    def dss(principal: Dss) -> dict[str, str]:
        return {"sub": principal.sub}

    @app.get("/both")
    def both(principal: Both) -> dict[str, str]:
        return {"sub": principal.sub}

    @app.get("/anyone")
    def anyone(principal: Anyone) -> dict[str, str]:
        return {"sub": principal.sub}

    @app.get("/owned/{owner}")
    def owned(owner: str, principal: Anyone) -> dict[str, str]:
        if owner != principal.sub:
            raise Forbidden("this operation belongs to another party")
        return {"sub": principal.sub}

    return app


@pytest.fixture
def client(trusted_key: rsa.RSAPrivateKey) -> TestClient:
    verifier = TokenVerifier(
        issuers=[trusting(trusted_key, operator=True)],
        audiences=["localhost", "dss.example.com"],
        leeway_s=10,
        clock=lambda: NOW,
    )
    return TestClient(build_app(verifier))


@dataclass
class JwksServer:
    """A real HTTP server on loopback whose published keys a test can change."""

    url: str
    keys: list[dict[str, str]] = field(default_factory=list)
    hits: int = 0


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def unreachable_url() -> str:
    """A loopback URL nothing listens on: bind a free port, then release it."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"
