"""Requests per second per token subject and per client address (issue 18): over either
limit a request is answered 429 with ``Retry-After``, in the native and the F3548 body;
probes and scrapes are never limited; refusals are counted on ``/metrics``.

The rates are tiny (one request per thousand seconds refills nothing within a test), so
only the burst decides and no test depends on the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from deconflict.api.app import create_app
from deconflict.settings import RateLimitSettings, Settings
from deconflict.store.audit import chain_pending, entries_about
from deconflict.store.sql import open_store
from tests.conftest import Headers

SLOW = 0.001
"""Requests per second: one per 1,000 s, so a test's bucket never refills."""


def _client(tmp_path: Path, **rates: Any) -> Iterator[TestClient]:
    limits = RateLimitSettings(**rates)
    settings = Settings(data_dir=tmp_path / "data", rate_limits=limits)
    store = open_store(f"sqlite:///{tmp_path / 'rl.db'}")
    try:
        with TestClient(create_app(settings, store)) as c:
            yield c
    finally:
        store.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The ``auth`` fixture's key lives in this data dir."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def per_address(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, per_address_rps=SLOW, per_address_burst=3)


@pytest.fixture
def per_subject(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, per_subject_rps=SLOW, per_subject_burst=2)


def test_an_address_over_its_rate_gets_429_with_retry_after(per_address: TestClient) -> None:
    statuses = [per_address.get("/v1/operations").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    r = per_address.get("/v1/operations")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 900
    assert "PER_ADDRESS_RPS" in r.json()["message"]
    assert r.headers["X-Request-ID"]


def test_a_flood_of_bad_tokens_is_refused_by_address_before_the_token_is_read(
    per_address: TestClient,
) -> None:
    bad = {"Authorization": "Bearer not-a-token"}
    statuses = [per_address.get("/v1/operations", headers=bad).status_code for _ in range(10)]
    assert statuses == [401] * 3 + [429] * 7
    services = per_address.app.state.services  # type: ignore[attr-defined]
    services.auth_failures.flush(everything=True)
    chain_pending(services.store)
    with services.store.session() as s:
        (entry,) = [e.entry for e in entries_about(s.conn, "") if e.entry.kind == "auth_failure"]
    assert entry.detail["count"] == 3  # the refused 7 never reached the audit tally


def test_probes_and_scrapes_are_never_limited(per_address: TestClient) -> None:
    for _ in range(5):
        per_address.get("/v1/operations")
    for path in ("/healthy", "/ready", "/metrics"):
        assert per_address.get(path).status_code == 200, path


def test_a_subject_over_its_rate_gets_429_and_another_subject_does_not(
    per_subject: TestClient, auth: Headers
) -> None:
    for _ in range(2):
        assert per_subject.get("/v1/operations", headers=auth("alpha")).status_code == 200
    r = per_subject.get("/v1/operations", headers=auth("alpha"))
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 900
    assert r.json() == {"message": r.json()["message"]}
    assert "'alpha'" in r.json()["message"] and "PER_SUBJECT_RPS" in r.json()["message"]
    assert per_subject.get("/v1/operations", headers=auth("bravo")).status_code == 200


def test_an_f3548_route_answers_429_in_the_f3548_error_body(
    per_subject: TestClient, auth: Headers
) -> None:
    headers = auth("uss1", "utm.strategic_coordination")
    path = "/dss/v1/operational_intent_references/query"
    body = {"area_of_interest": None}
    for _ in range(2):
        per_subject.post(path, json=body, headers=headers)
    r = per_subject.post(path, json=body, headers=headers)
    assert r.status_code == 429
    assert set(r.json()) == {"message"}  # F3548 ErrorResponse
    assert int(r.headers["Retry-After"]) > 900


def test_a_forged_token_naming_a_party_does_not_spend_its_rate(
    per_subject: TestClient, auth: Headers
) -> None:
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbHBoYSJ9."}
    for _ in range(5):
        assert per_subject.get("/v1/operations", headers=forged).status_code == 401
    for _ in range(2):
        assert per_subject.get("/v1/operations", headers=auth("alpha")).status_code == 200


def test_refusals_are_counted_on_metrics(per_address: TestClient) -> None:
    for _ in range(5):
        per_address.get("/v1/operations")
    text = per_address.get("/metrics").text
    assert 'deconflict_rate_limited_total{limit="address"} 2.0' in text
    assert (
        'deconflict_http_requests_total{method="GET",route="<rate_limited>",status="429"} 2.0'
        in text
    )


def test_disabled_limits_refuse_nothing(tmp_path: Path) -> None:
    for client in _client(tmp_path, enabled=False, per_address_rps=SLOW, per_address_burst=1):
        statuses = {client.get("/v1/operations").status_code for _ in range(5)}
        assert statuses == {401}


def test_a_websocket_handshake_over_the_address_rate_gets_429(per_address: TestClient) -> None:
    for _ in range(3):
        per_address.get("/v1/operations")
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        per_address.websocket_connect("/v1/stream"),
    ):
        pass
    assert refused.value.status_code == 429
    assert int(refused.value.headers["Retry-After"]) > 900
