"""The service's own key pair, locally minted tokens, the ``token`` command, and settings."""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError
from typer.testing import CliRunner

from deconflict.auth.keys import (
    load_or_create_signing_key,
    load_public_key,
    public_key_path,
    public_key_pem,
    signing_key_path,
)
from deconflict.auth.tokens import mint_token
from deconflict.auth.trust import DEFAULT_ISSUER, AuthSettings, IssuerSettings
from deconflict.auth.verify import TokenVerifier
from deconflict.cli.token import app as token_app
from deconflict.errors import InvalidInput, KeyFileError, Unauthenticated
from tests.auth.conftest import NOW, new_key

# --- key pair ------------------------------------------------------------------------


def test_key_pair_is_created_once_private_to_the_owner_and_reused(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path)
    path = signing_key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()

    second = load_or_create_signing_key(tmp_path)
    assert path.read_bytes() == before
    assert public_key_pem(second.public_key()) == public_key_pem(first.public_key())
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_key_pair_creation_ignores_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_or_create_signing_key(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(signing_key_path(tmp_path).stat().st_mode) == 0o600


def test_public_half_is_written_next_to_it_for_other_services_to_trust(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path)
    trusted = load_public_key(public_key_path(tmp_path))
    assert public_key_pem(trusted) == public_key_pem(key.public_key())


def test_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path)
    signing_key_path(tmp_path).chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_or_create_signing_key(tmp_path)


def test_a_key_file_read_again_is_what_it_holds_now(tmp_path: Path) -> None:
    """Each content is parsed once per process: a replaced or spoiled file is still seen."""
    first = load_or_create_signing_key(tmp_path)
    assert load_or_create_signing_key(tmp_path).private_numbers() == first.private_numbers()
    path = signing_key_path(tmp_path)
    other = new_key()
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert load_or_create_signing_key(tmp_path).private_numbers() == other.private_numbers()
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    for _ in range(2):
        with pytest.raises(KeyFileError, match="not an unencrypted PEM"):
            load_or_create_signing_key(tmp_path)


def test_trusted_key_may_be_given_as_a_certificate(tmp_path: Path) -> None:
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auth.example.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2034, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "authority.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert public_key_pem(load_public_key(path)) == public_key_pem(key.public_key())


@pytest.mark.parametrize("kind", ["ec", "garbage", "short-rsa"])
def test_trusted_key_that_is_not_a_strong_rsa_key_is_refused(tmp_path: Path, kind: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "key.pem"
    if kind == "ec":
        pem = public_key_pem(ec.generate_private_key(ec.SECP256R1()).public_key())  # type: ignore[arg-type]
    elif kind == "short-rsa":
        pem = public_key_pem(rsa.generate_private_key(65537, 1024).public_key())
    else:
        pem = b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"
    path.write_bytes(pem)
    with pytest.raises(KeyFileError):
        load_public_key(path)


# --- minting ---------------------------------------------------------------------------


def test_minted_token_carries_the_f3548_claims(trusted_key: rsa.RSAPrivateKey) -> None:
    import jwt

    key = trusted_key
    token = mint_token(
        key,
        sub="uss-alpha",
        scopes=["utm.strategic_coordination"],
        audience="localhost",
        issuer="urn:test",
        lifetime_s=600,
        now=NOW,
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600
    assert set(claims) == {"iss", "sub", "aud", "scope", "iat", "exp", "jti"}
    other = mint_token(key, sub="uss-alpha", scopes=[], audience="a", issuer="i", now=NOW)
    assert jwt.decode(other, options={"verify_signature": False})["jti"] != claims["jti"]


@pytest.mark.parametrize("lifetime_s", [0, -1, 3601])
def test_minting_refuses_lifetimes_outside_one_hour(
    trusted_key: rsa.RSAPrivateKey, lifetime_s: int
) -> None:
    key = trusted_key
    with pytest.raises(InvalidInput, match="lifetime_s"):
        mint_token(key, sub="a", scopes=[], audience="localhost", issuer="i", lifetime_s=lifetime_s)


def test_minting_refuses_a_scope_with_spaces(trusted_key: rsa.RSAPrivateKey) -> None:
    key = trusted_key
    with pytest.raises(InvalidInput, match="scope"):
        mint_token(key, sub="a", scopes=["a b"], audience="localhost", issuer="i")


def test_verifier_from_default_settings_trusts_only_its_own_key(tmp_path: Path) -> None:
    verifier = TokenVerifier.from_settings(AuthSettings(), tmp_path, clock=lambda: NOW)
    own = load_or_create_signing_key(tmp_path)
    good = mint_token(
        own,
        sub="p",
        scopes=["deconflict.read"],
        audience="localhost",
        issuer=DEFAULT_ISSUER,
        now=NOW,
    )
    assert verifier.verify(good).scopes == frozenset({"deconflict.read"})
    stranger = mint_token(new_key(), sub="p", scopes=[], audience="localhost", issuer="x", now=NOW)
    with pytest.raises(Unauthenticated):
        verifier.verify(stranger)


def test_verifier_trusts_configured_pem_keys_and_can_distrust_its_own(tmp_path: Path) -> None:
    foreign = new_key()
    pem = tmp_path / "suite.pem"
    pem.write_bytes(public_key_pem(foreign.public_key()))
    suite = IssuerSettings(issuer="x", key_paths=[pem], subjects=["suite"])
    settings = AuthSettings(trusted_issuers=[suite], trust_own_key=False)
    verifier = TokenVerifier.from_settings(settings, tmp_path / "data", clock=lambda: NOW)
    token = mint_token(foreign, sub="suite", scopes=[], audience="localhost", issuer="x", now=NOW)
    assert verifier.verify(token).sub == "suite"
    assert not (tmp_path / "data").exists(), "an untrusted own key is not even created"


def test_verifier_with_nothing_to_trust_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no trusted keys"):
        TokenVerifier.from_settings(AuthSettings(trust_own_key=False), tmp_path)


# --- settings --------------------------------------------------------------------------


def test_settings_defaults_accept_localhost_and_one_hour() -> None:
    settings = AuthSettings()
    assert settings.audiences == ["localhost"]
    assert settings.max_token_lifetime_s == 3600


IDP = {"issuer": "https://idp.example", "subjects": ["alpha"]}


@pytest.mark.parametrize(
    "changes",
    [
        {"max_token_lifetime_s": 7200},
        {"audiences": []},
        {"audiences": [" "]},
        {"trusted_issuers": [{**IDP, "jwks_url": "http://auth.example.com/jwks.json"}]},
        {"trusted_issuers": [{**IDP, "jwks_url": "ftp://127.0.0.1/jwks.json"}]},
        {"leeway_s": 3600},
    ],
)
def test_unsafe_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AuthSettings.model_validate(changes)


@pytest.mark.parametrize(
    "url", ["https://auth.example.com/.well-known/jwks.json", "http://127.0.0.1:8080/jwks"]
)
def test_jwks_url_must_be_https_or_loopback(url: str) -> None:
    settings = AuthSettings.model_validate({"trusted_issuers": [{**IDP, "jwks_url": url}]})
    assert settings.trusted_issuers[0].jwks_url == url


# --- the `token` command ---------------------------------------------------------------


def test_token_command_prints_one_token_the_verifier_accepts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        token_app,
        [
            "--sub",
            "party-a",
            "--scope",
            "deconflict.plan",
            "--scope",
            "deconflict.read",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].count(".") == 2
    verifier = TokenVerifier.from_settings(AuthSettings(), tmp_path)  # the real clock
    principal = verifier.verify(lines[0])
    assert principal.sub == "party-a"
    assert principal.issuer == DEFAULT_ISSUER
    assert principal.scopes == frozenset({"deconflict.plan", "deconflict.read"})


def test_token_command_honours_audience_and_reuses_the_key(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--sub", "p", "--scope", "utm.strategic_coordination", "--data-dir", str(tmp_path)]
    first = runner.invoke(token_app, [*args, "--audience", "dss.example.com"])
    key_before = signing_key_path(tmp_path).read_bytes()
    second = runner.invoke(token_app, args)
    assert signing_key_path(tmp_path).read_bytes() == key_before
    settings = AuthSettings(audiences=["dss.example.com"])
    verifier = TokenVerifier.from_settings(settings, tmp_path, clock=time.time)
    assert verifier.verify(first.stdout.strip()).sub == "p"
    with pytest.raises(Unauthenticated, match="audience"):
        verifier.verify(second.stdout.strip())


@pytest.mark.parametrize(
    "extra", [["--scope", "deconflict.plans"], ["--scope", "deconflict.plan", "--lifetime", "7200"]]
)
def test_token_command_refuses_bad_input_and_prints_no_token(
    tmp_path: Path, extra: list[str]
) -> None:
    result = CliRunner().invoke(token_app, ["--sub", "p", "--data-dir", str(tmp_path), *extra])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error:" in result.stderr
