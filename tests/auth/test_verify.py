"""Security specification of the service's bearer-token authentication.

Each test states one rule. Every rejection must carry the F3548 ``ErrorResponse`` shape,
``{"message": "..."}``, a message that says what is wrong, and nothing secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from deconflict.auth.keys import public_key_pem
from deconflict.auth.verify import TokenVerifier
from tests.auth.conftest import NOW, build_app, sign, trusting


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: httpx.Response, status: int, says: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message"}
    assert says in body["message"]
    assert "BEGIN" not in body["message"] and "eyJ" not in body["message"]
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, object], claims: dict[str, object], sign_with: bytes | None) -> str:
    """A hand-made JWS, for algorithms a careful library refuses to produce."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if sign_with is None:
        return signing_input + "."
    mac = hmac.new(sign_with, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def good_claims() -> dict[str, object]:
    return {
        "iss": "https://auth.example.com",
        "sub": "uss-alpha",
        "aud": "localhost",
        "scope": "deconflict.plan deconflict.admin",
        "iat": int(NOW),
        "exp": int(NOW) + 600,
    }


# --- accepted ------------------------------------------------------------------------


def test_valid_token_is_accepted_and_names_the_party(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    response = client.get("/v1/plan", headers=bearer(sign(trusted_key)))
    assert response.status_code == 200
    assert response.json() == {
        "sub": "uss-alpha",
        "iss": "https://auth.example.com",
        "scopes": ["deconflict.plan", "utm.strategic_coordination"],
    }


def test_any_configured_audience_is_accepted(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, aud=["other.example.com", "dss.example.com"])
    assert client.get("/v1/plan", headers=bearer(token)).status_code == 200


def test_trusted_pem_key_verifies_whatever_kid_the_issuer_chose(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    for kid in (None, "issuer-own-label-2024"):
        assert client.get("/v1/plan", headers=bearer(sign(trusted_key, kid=kid))).status_code == 200


def test_small_clock_skew_is_tolerated(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, exp=int(NOW) - 5, iat=int(NOW) - 600)
    assert client.get("/v1/plan", headers=bearer(token)).status_code == 200


def test_scheme_name_is_case_insensitive(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    headers = {"Authorization": f"bearer {sign(trusted_key)}"}
    assert client.get("/v1/plan", headers=headers).status_code == 200


# --- 401: no usable credentials --------------------------------------------------------


def test_missing_authorization_header_is_401_with_bare_challenge(client: TestClient) -> None:
    response = client.get("/v1/plan")
    assert_refused(response, 401, "missing Authorization header")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "value",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Token abc.def.ghi"],
)
def test_malformed_authorization_header_is_401(client: TestClient, value: str) -> None:
    response = client.get("/v1/plan", headers={"Authorization": value})
    assert_refused(response, 401, "Authorization header")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_two_authorization_headers_are_401(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key)
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", "Bearer other")]
    response = client.get("/v1/plan", headers=headers)
    assert_refused(response, 401, "more than one Authorization header")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9"])
def test_garbage_token_is_401(client: TestClient, token: str) -> None:
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "well-formed JWT")


def test_oversized_token_is_401_without_parsing(client: TestClient) -> None:
    assert_refused(client.get("/v1/plan", headers=bearer("a" * 20_000)), 401, "longer than")


# --- 401: time ----------------------------------------------------------------------


def test_expired_token_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, iat=int(NOW) - 3600, exp=int(NOW) - 60)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "expired")


def test_not_yet_valid_token_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, nbf=int(NOW) + 120)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "not valid yet")


def test_token_issued_in_the_future_is_401(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, iat=int(NOW) + 120)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "issued in the future")


def test_token_living_longer_than_one_hour_is_401(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, exp=int(NOW) + 3600 + 60)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "at most one hour")


def test_token_expiring_exactly_one_hour_ahead_is_accepted(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, exp=int(NOW) + 3600)
    assert client.get("/v1/plan", headers=bearer(token)).status_code == 200


def test_non_numeric_exp_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, exp="tomorrow")
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "'exp' must be a number")


# --- 401: claims --------------------------------------------------------------------


def test_wrong_audience_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, aud="dss.elsewhere.example")
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "audience is not accepted")


def test_missing_audience_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, aud=None)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "'aud'")


@pytest.mark.parametrize("claim", ["sub", "iss", "exp"])
def test_missing_required_claim_is_401(
    client: TestClient, trusted_key: rsa.RSAPrivateKey, claim: str
) -> None:
    token = sign(trusted_key, **{claim: None})
    response = client.get("/v1/plan", headers=bearer(token))
    assert_refused(response, 401, f"lacks the required '{claim}' claim")


def test_blank_sub_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, sub="  ")
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "'sub'")


def test_scope_as_a_list_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    token = sign(trusted_key, scope=["deconflict.plan"])
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "space-separated")


# --- 401: signature and algorithm ------------------------------------------------------


def test_token_signed_by_an_untrusted_key_is_401(
    client: TestClient, untrusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(untrusted_key)
    response = client.get("/v1/plan", headers=bearer(token))
    assert_refused(response, 401, "does not verify against any trusted key")


def test_untrusted_key_claiming_the_trusted_kid_is_401(
    client: TestClient, trusted_key: rsa.RSAPrivateKey, untrusted_key: rsa.RSAPrivateKey
) -> None:
    from deconflict.auth.keys import key_id

    token = sign(untrusted_key, kid=key_id(trusted_key.public_key()))
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "trusted key")


def test_alg_none_is_401(client: TestClient) -> None:
    token = forge({"alg": "none", "typ": "JWT"}, good_claims(), sign_with=None)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "only RS256")


def test_hs256_signed_with_the_public_key_as_secret_is_401(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    # The classic confusion: a verifier that lets the token pick HS256 would use the
    # (public!) PEM bytes as the HMAC secret, and this forgery would verify.
    secret = public_key_pem(trusted_key.public_key())
    token = forge({"alg": "HS256", "typ": "JWT"}, good_claims(), sign_with=secret)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "only RS256")


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256", "rs256"])
def test_other_algorithms_are_401(client: TestClient, alg: str) -> None:
    token = forge({"alg": alg}, good_claims(), sign_with=b"x" * 32)
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "only RS256")


def test_tampered_payload_is_401(client: TestClient, trusted_key: rsa.RSAPrivateKey) -> None:
    header, _, signature = sign(trusted_key, sub="uss-alpha").split(".")
    claims = good_claims() | {"sub": "uss-bravo", "scope": "deconflict.admin deconflict.plan"}
    tampered = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    response = client.get("/v1/plan", headers=bearer(tampered))
    assert_refused(response, 401, "does not verify")


def test_critical_header_extensions_we_do_not_implement_are_401(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    import jwt

    token = jwt.encode(
        good_claims(), trusted_key, algorithm="RS256", headers={"crit": ["exp"], "exp": 1}
    )
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 401, "JWT")


# --- 403: authorisation ----------------------------------------------------------------


def test_missing_scope_is_403_naming_the_needed_scope(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, scope="deconflict.read utm.strategic_coordination")
    response = client.get("/v1/plan", headers=bearer(token))
    assert_refused(response, 403, "deconflict.plan")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'


def test_token_without_scope_claim_is_authenticated_but_403(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, scope=None)
    assert client.get("/anyone", headers=bearer(token)).status_code == 200
    assert_refused(client.get("/v1/plan", headers=bearer(token)), 403, "deconflict.plan")


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        ("utm.strategic_coordination", 200),
        ("utm.conformance_monitoring_sa", 200),
        ("utm.constraint_management", 403),
        ("deconflict.plan deconflict.admin", 403),
    ],
)
def test_f3548_endpoint_accepts_any_one_of_its_scopes(
    client: TestClient, trusted_key: rsa.RSAPrivateKey, scope: str, status: int
) -> None:
    response = client.get("/dss", headers=bearer(sign(trusted_key, scope=scope)))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        ("utm.strategic_coordination utm.constraint_processing", 200),
        ("utm.strategic_coordination", 403),
        ("utm.constraint_processing", 403),
    ],
)
def test_a_scope_combination_needs_every_member(
    client: TestClient, trusted_key: rsa.RSAPrivateKey, scope: str, status: int
) -> None:
    response = client.get("/both", headers=bearer(sign(trusted_key, scope=scope)))
    assert response.status_code == status


def test_a_scope_that_merely_contains_the_needed_name_grants_nothing(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, scope="deconflict.planner xdeconflict.plan")
    assert client.get("/v1/plan", headers=bearer(token)).status_code == 403


def test_route_refusing_another_partys_resource_is_403_with_message(
    client: TestClient, trusted_key: rsa.RSAPrivateKey
) -> None:
    token = sign(trusted_key, sub="uss-alpha")
    assert client.get("/owned/uss-alpha", headers=bearer(token)).status_code == 200
    assert_refused(
        client.get("/owned/uss-bravo", headers=bearer(token)), 403, "belongs to another party"
    )


def test_scope_dependency_refuses_an_empty_alternative() -> None:
    from deconflict.api.security import require_scopes

    with pytest.raises(ValueError, match="empty scope alternative"):
        require_scopes(())


def test_app_without_a_verifier_fails_closed(trusted_key: rsa.RSAPrivateKey) -> None:
    app = build_app(TokenVerifier(issuers=[trusting(trusted_key)], clock=lambda: NOW))
    del app.state.token_verifier
    response = TestClient(app, raise_server_exceptions=False).get(
        "/v1/plan", headers=bearer(sign(trusted_key))
    )
    assert response.status_code == 500


def test_openapi_document_advertises_bearer_authentication(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["Bearer"]["scheme"] == "bearer"
    assert {"Bearer": []} in schema["paths"]["/v1/plan"]["get"]["security"]
