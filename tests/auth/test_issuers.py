"""Issuers are bound to the parties they may speak for (issue 21, High 1).

The attacks: with a second trusted key (another party's identity provider), a token with
``sub=alpha`` read alpha's operation in full and deleted another of alpha's; a token
with ``iss=https://evil.example`` was accepted. Every key now belongs to one issuer, with
the subjects it may assert and whether it may grant the operator's scope.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from deconflict.api.app import create_app
from deconflict.auth.issuers import TrustedIssuer
from deconflict.auth.jwks import JwksCache
from deconflict.auth.keys import load_or_create_signing_key, public_jwk, public_key_pem
from deconflict.auth.tokens import mint_token
from deconflict.auth.trust import DEFAULT_ISSUER, AuthSettings, IssuerSettings
from deconflict.auth.verify import TokenVerifier
from deconflict.cli.serve import TrustedKeys, build_settings
from deconflict.errors import Unauthenticated
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.auth.conftest import NOW, JwksServer, new_key, sign, trusting
from tests.conftest import native_op

BRAVO_IDP = "https://idp.bravo.example"
PLAN = ["deconflict.plan", "deconflict.read"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def bravo_idp_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def service(
    tmp_path: Path, store: SqlStore, bravo_idp_key: rsa.RSAPrivateKey
) -> tuple[TestClient, rsa.RSAPrivateKey]:
    """The service trusting its own key and bravo's identity provider, for bravo only."""
    pem = tmp_path / "bravo-idp.pem"
    pem.write_bytes(public_key_pem(bravo_idp_key.public_key()))
    idp = IssuerSettings(issuer=BRAVO_IDP, key_paths=[pem], subjects=["bravo"])
    settings = Settings(data_dir=tmp_path / "data", auth=AuthSettings(trusted_issuers=[idp]))
    own = load_or_create_signing_key(settings.data_dir)
    return TestClient(create_app(settings, store)), own


def own_token(own: rsa.RSAPrivateKey, sub: str, scopes: list[str] = PLAN, **kw: object) -> str:
    return mint_token(own, sub=sub, scopes=scopes, audience="localhost", **kw)  # type: ignore[arg-type]


def test_another_partys_identity_provider_cannot_read_or_delete_alphas_operations(
    service: tuple[TestClient, rsa.RSAPrivateKey], bravo_idp_key: rsa.RSAPrivateKey
) -> None:
    client, own = service
    alpha = bearer(own_token(own, "alpha", issuer=DEFAULT_ISSUER))
    for lon, op_id in enumerate(("a1", "a2")):
        r = client.put(f"/v1/operations/{op_id}", json=native_op(lon=lon), headers=alpha)
        assert r.status_code == 201, r.text
    forged = bearer(own_token(bravo_idp_key, "alpha", issuer=BRAVO_IDP))

    read = client.get("/v1/operations/a1", headers=forged)
    deleted = client.delete("/v1/operations/a2", headers=forged)

    assert read.status_code == 401 and "may not speak for party 'alpha'" in read.json()["message"]
    assert deleted.status_code == 401
    assert client.get("/v1/operations/a2", headers=alpha).status_code == 200


def test_an_identity_provider_speaks_for_the_parties_it_is_trusted_for(
    service: tuple[TestClient, rsa.RSAPrivateKey], bravo_idp_key: rsa.RSAPrivateKey
) -> None:
    client, _ = service
    bravo = bearer(own_token(bravo_idp_key, "bravo", issuer=BRAVO_IDP))
    r = client.put("/v1/operations/b1", json=native_op(), headers=bravo)
    assert r.status_code == 201, r.text


def test_a_token_naming_an_untrusted_issuer_is_refused_even_when_signed_by_a_trusted_key(
    service: tuple[TestClient, rsa.RSAPrivateKey],
) -> None:
    client, own = service
    evil = bearer(own_token(own, "alpha", issuer="https://evil.example"))
    r = client.get("/v1/operations", headers=evil)
    assert r.status_code == 401
    assert "issuer 'https://evil.example' is not trusted" in r.json()["message"]


def test_a_key_of_one_issuer_does_not_vouch_for_another_issuer(
    service: tuple[TestClient, rsa.RSAPrivateKey], bravo_idp_key: rsa.RSAPrivateKey
) -> None:
    client, _ = service
    # The identity provider's key, claiming to be the service itself.
    posing = bearer(own_token(bravo_idp_key, "bravo", issuer=DEFAULT_ISSUER))
    r = client.get("/v1/operations", headers=posing)
    assert r.status_code == 401 and "signature" in r.json()["message"]


def test_the_operator_scope_comes_only_from_an_operator_issuer(
    service: tuple[TestClient, rsa.RSAPrivateKey], bravo_idp_key: rsa.RSAPrivateKey
) -> None:
    client, own = service
    admin = [*PLAN, "deconflict.admin"]
    from_idp = bearer(own_token(bravo_idp_key, "bravo", admin, issuer=BRAVO_IDP))
    from_service = bearer(own_token(own, "operator", admin, issuer=DEFAULT_ISSUER))

    refused = client.get("/v1/notifications", headers=from_idp)
    assert refused.status_code == 401
    assert "may not grant deconflict.admin" in refused.json()["message"]
    assert client.get("/v1/notifications", headers=from_service).status_code == 200


def test_iss_is_required(trusted_key: rsa.RSAPrivateKey) -> None:
    verifier = TokenVerifier(issuers=[trusting(trusted_key)], clock=lambda: NOW)
    with pytest.raises(Unauthenticated, match="'iss'"):
        verifier.verify(sign(trusted_key, iss=None))


@pytest.mark.parametrize(("sub", "admitted"), [("uss-a", True), ("uss-", True), ("alpha", False)])
def test_subject_patterns_are_shell_style(
    trusted_key: rsa.RSAPrivateKey, sub: str, admitted: bool
) -> None:
    verifier = TokenVerifier(
        issuers=[trusting(trusted_key, subjects=("uss-*", "beta"))], clock=lambda: NOW
    )
    token = sign(trusted_key, sub=sub)
    if admitted:
        assert verifier.verify(token).sub == sub
    else:
        with pytest.raises(Unauthenticated, match="may not speak for"):
            verifier.verify(token)


def test_the_principal_carries_its_tokens_expiry(trusted_key: rsa.RSAPrivateKey) -> None:
    verifier = TokenVerifier(issuers=[trusting(trusted_key)], clock=lambda: NOW)
    assert verifier.verify(sign(trusted_key, exp=int(NOW) + 60)).expires_at == NOW + 60


def test_an_issuer_without_keys_or_subjects_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="no PEM key"):
        TrustedIssuer("https://idp.example", ("*",))
    with pytest.raises(ValueError, match="subject pattern"):
        TrustedIssuer("https://idp.example", (), keys=(new_key().public_key(),))


@pytest.mark.parametrize(
    "auth",
    [
        {"trusted_issuers": [{"issuer": "i", "key_paths": ["k.pem"]}]},
        {"trusted_issuers": [{"issuer": "i", "key_paths": ["k.pem"], "subjects": []}]},
        {"trusted_issuers": [{"issuer": "i", "subjects": ["a"]}]},
        {"trusted_issuers": [{"issuer": " ", "key_paths": ["k.pem"], "subjects": ["a"]}]},
        {"trusted_issuers": [{"issuer": "i", "key_paths": ["k.pem"], "subjects": ["a"]}] * 2},
        {"trusted_issuers": [{"issuer": DEFAULT_ISSUER, "key_paths": ["k"], "subjects": ["a"]}]},
    ],
)
def test_issuer_settings_must_name_keys_subjects_and_a_distinct_issuer(
    auth: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        AuthSettings.model_validate(auth)


def test_serve_trust_key_binds_the_key_to_its_issuer_and_subjects(tmp_path: Path) -> None:
    trusted = TrustedKeys("https://idp.example", "uss-*,beta", [tmp_path / "k.pem"])
    settings = build_settings(None, tmp_path, trusted, [])
    (entry,) = settings.auth.trusted_issuers
    assert (entry.issuer, entry.subjects, entry.operator) == (
        "https://idp.example",
        ["uss-*", "beta"],
        False,
    )
    assert entry.key_paths == [tmp_path / "k.pem"]


@pytest.mark.parametrize(
    "args",
    [
        ["--trust-key", "k.pem"],
        ["--trust-key", "k.pem", "--trust-issuer", "https://idp.example"],
        ["--trust-issuer", "https://idp.example", "--trust-subjects", "*"],
    ],
)
def test_serve_refuses_a_trusted_key_without_its_issuer_and_subjects(args: list[str]) -> None:
    import typer

    from deconflict.cli.serve import serve

    app = typer.Typer()
    app.command()(serve)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--trust-key" in result.output


def test_scenario_tokens_carry_the_configured_issuer_of_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deconflict.cli.scenario import mint_party_tokens

    monkeypatch.setenv("DECONFLICT_AUTH__ISSUER", "https://deconflict.example")
    settings = Settings(data_dir=tmp_path / "data")
    verifier = TokenVerifier.from_settings(settings.auth, settings.data_dir)
    tokens = mint_party_tokens(("alpha",), settings.data_dir, ("operator",))
    assert verifier.verify(tokens["alpha"]).issuer == "https://deconflict.example"
    assert "deconflict.admin" in verifier.verify(tokens["operator"]).scopes


def test_a_jwks_vouches_only_for_its_own_issuer(
    jwks_server: JwksServer, trusted_key: rsa.RSAPrivateKey
) -> None:
    idp_key = new_key()
    jwks_server.keys = [public_jwk(idp_key.public_key())]
    idp = trusting(
        jwks=JwksCache(jwks_server.url), subjects=("bravo",), issuer="https://idp.example"
    )
    verifier = TokenVerifier(issuers=[idp, trusting(trusted_key)], clock=lambda: NOW)
    assert verifier.verify(sign(idp_key, iss="https://idp.example", sub="bravo")).sub == "bravo"
    # The identity provider's key, under the other issuer's name: no key of that issuer.
    with pytest.raises(Unauthenticated, match="signature"):
        verifier.verify(sign(idp_key, sub="bravo"))


def test_trusted_issuers_come_from_the_environment_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = '{"issuer": "https://idp.example", "jwks_url": "https://idp.example/jwks", '
    monkeypatch.setenv("DECONFLICT_AUTH__TRUSTED_ISSUERS", f'[{entry}"subjects": ["uss-*"]}}]')
    (idp,) = Settings().auth.trusted_issuers
    assert (idp.issuer, idp.subjects, idp.operator) == ("https://idp.example", ["uss-*"], False)
