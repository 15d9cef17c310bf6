"""HTTP-level rules: tokens and scopes, body size, availability, reports, aux version."""

from __future__ import annotations

from collections.abc import Iterator

from tests.e2e.dss.conftest import AA, CM, CMSA, CP, OIR, SC, Dss, intent_body, new_id


def test_no_token_is_401_with_a_message(dss: Dss) -> None:
    r = dss.client.get(f"{OIR}/{new_id()}")
    assert r.status_code == 401
    assert set(r.json()) == {"message"}


def test_a_token_without_a_fitting_scope_is_403(dss: Dss) -> None:
    r = dss.alpha.call("GET", f"{OIR}/{new_id()}", scopes=(CM,))
    assert r.status_code == 403
    assert set(r.json()) == {"message"}


def test_auth_is_checked_before_the_body(dss: Dss) -> None:
    r = dss.client.put(f"{OIR}/{new_id()}", json={"extents": "nonsense"})
    assert r.status_code == 401


def test_a_body_over_4_mib_is_413(dss: Dss) -> None:
    body = intent_body()
    body["padding"] = "x" * (4 * 1024 * 1024 + 1)
    r = dss.alpha.call("PUT", f"{OIR}/{new_id()}", body)
    assert r.status_code == 413
    assert "4 MiB" in r.json()["message"]


def test_aux_version_needs_no_token(dss: Dss) -> None:
    r = dss.client.get("/aux/v1/version")
    assert r.status_code == 200
    assert r.json()["version"].startswith("deconflict-")


def test_an_unknown_uss_is_unknown_with_an_empty_version(dss: Dss) -> None:
    r = dss.alpha.call("GET", "/dss/v1/uss_availability/nobody", scopes=(SC,))
    assert r.status_code == 200
    assert r.json() == {"status": {"uss": "nobody", "availability": "Unknown"}, "version": ""}


def test_availability_is_set_with_the_current_version_case_insensitively(dss: Dss) -> None:
    path = "/dss/v1/uss_availability/uss-beta"
    r = dss.alpha.call("PUT", path, {"old_version": "", "availability": "normal"}, scopes=(AA,))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == {"uss": "uss-beta", "availability": "Normal"}
    version = r.json()["version"]
    assert version
    stale = dss.alpha.call("PUT", path, {"old_version": "", "availability": "Down"}, scopes=(AA,))
    assert stale.status_code == 409
    r = dss.alpha.call("PUT", path, {"old_version": version, "availability": "Down"}, scopes=(AA,))
    assert r.status_code == 200
    got = dss.beta.call("GET", path, scopes=(CMSA,)).json()
    assert got["status"]["availability"] == "Down"
    assert got["version"] == r.json()["version"] != version


def test_setting_availability_needs_the_arbitration_scope(dss: Dss) -> None:
    r = dss.alpha.call(
        "PUT", "/dss/v1/uss_availability/x", {"availability": "Down"}, scopes=(SC, CMSA, CP, CM)
    )
    assert r.status_code == 403


def test_an_invalid_availability_is_a_bad_request(dss: Dss) -> None:
    r = dss.alpha.call(
        "PUT", "/dss/v1/uss_availability/x", {"availability": "Sleepy"}, scopes=(AA,)
    )
    assert r.status_code == 400


def test_the_availability_of_the_manager_shows_in_its_intents(dss: Dss) -> None:
    dss.alpha.call(
        "PUT", "/dss/v1/uss_availability/uss-alpha", {"old_version": "", "availability": "Normal"}
    )
    r = dss.alpha.create_intent()
    assert r.json()["operational_intent_reference"]["uss_availability"] == "Normal"


def test_a_report_is_archived_and_gets_an_id(dss: Dss) -> None:
    report = {
        "exchange": {
            "url": "https://uss.example.com/uss/v1/operational_intents/x",
            "method": "GET",
            "recorder_role": "Client",
            "request_time": {"value": "2026-01-01T00:00:00Z", "format": "RFC3339"},
            "problem": "timed out",
        }
    }
    r = dss.alpha.call("POST", "/dss/v1/reports", report, scopes=(SC,))
    assert r.status_code == 201, r.text
    assert len(r.json()["report_id"]) == 36
    assert r.json()["exchange"]["problem"] == "timed out"


def test_an_undeclared_streamed_body_over_4_mib_is_413_too(dss: Dss) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"padding": "'
        for _ in range(5):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    r = dss.client.put(
        f"{OIR}/{new_id()}",
        content=chunks(),
        headers={**dss.alpha.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_a_report_with_a_response_code_outside_int32_is_a_400(dss: Dss) -> None:
    report = {
        "exchange": {
            "url": "https://uss.example.com/uss/v1/operational_intents/x",
            "method": "GET",
            "recorder_role": "Client",
            "request_time": {"value": "2026-01-01T00:00:00Z", "format": "RFC3339"},
            "response_code": -9223372036854775809,
        }
    }
    r = dss.alpha.call("POST", "/dss/v1/reports", report, scopes=(SC,))
    assert r.status_code == 400, r.text
