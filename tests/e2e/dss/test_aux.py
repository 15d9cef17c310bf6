"""InterUSS's aux API beside the DSS: ``/aux/v1/version`` and ``/aux/v1/validate_oauth``."""

from __future__ import annotations

from tests.e2e.dss.conftest import SC, Dss

RID_READ = "dss.read.identification_service_areas"
RID_WRITE = "dss.write.identification_service_areas"
VALIDATE = "/aux/v1/validate_oauth"


def test_validate_oauth_answers_200_for_a_token_with_the_rid_read_scope(dss: Dss) -> None:
    r = dss.alpha.call("GET", VALIDATE, scopes=(RID_READ,))
    assert r.status_code == 200, r.text
    assert r.json() == {}


def test_validate_oauth_takes_the_rid_write_and_the_f3548_scopes_too(dss: Dss) -> None:
    for scope in (RID_WRITE, SC):
        assert dss.alpha.call("GET", VALIDATE, scopes=(scope,)).status_code == 200, scope


def test_validate_oauth_with_the_tokens_own_subject_as_owner_is_200(dss: Dss) -> None:
    r = dss.alpha.call("GET", f"{VALIDATE}?owner=uss-alpha", scopes=(RID_READ,))
    assert r.status_code == 200, r.text


def test_validate_oauth_with_another_owner_is_403_naming_both(dss: Dss) -> None:
    r = dss.alpha.call("GET", f"{VALIDATE}?owner=uss-beta", scopes=(RID_READ,))
    assert r.status_code == 403
    message = r.json()["message"]
    assert "owner" in message and "uss-alpha" in message and "uss-beta" in message


def test_validate_oauth_without_a_token_is_401(dss: Dss) -> None:
    r = dss.client.get(VALIDATE)
    assert r.status_code == 401
    assert set(r.json()) == {"message"}


def test_validate_oauth_with_a_scope_it_does_not_take_is_403(dss: Dss) -> None:
    r = dss.alpha.call("GET", VALIDATE, scopes=("deconflict.plan",))
    assert r.status_code == 403


def test_aux_version_is_beside_it_and_needs_no_token(dss: Dss) -> None:
    r = dss.client.get("/aux/v1/version")
    assert r.status_code == 200
    assert r.json()["version"].startswith("deconflict-")
