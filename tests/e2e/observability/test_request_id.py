"""Issue 18: one request id names a request in the response, the 5xx body and the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.errors import StoreUnavailable
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, native_op


@pytest.fixture
def app(settings: Settings, store: SqlStore) -> FastAPI:
    return create_app(settings, store)


@pytest.fixture
def lenient(app: FastAPI) -> Iterator[TestClient]:
    """A client that receives the 500 instead of re-raising the server's exception."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_every_response_carries_a_generated_request_id(lenient: TestClient) -> None:
    first = lenient.get("/healthy").headers["X-Request-ID"]
    second = lenient.get("/v1/operations/nope").headers["X-Request-ID"]
    assert first and second and first != second


def test_a_sane_client_request_id_is_kept(lenient: TestClient) -> None:
    sent = "3f2b8c1e-5a6d-4e7f-9a0b-1c2d3e4f5a6b"
    r = lenient.get("/healthy", headers={"X-Request-ID": sent})
    assert r.headers["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", ["two words", "x" * 200, "a\tb", "-leading-dash", ""])
def test_an_unsafe_client_request_id_is_replaced(lenient: TestClient, sent: str) -> None:
    r = lenient.get("/healthy", headers={"X-Request-ID": sent})
    assert r.headers["X-Request-ID"] not in ("", sent)


def test_a_500_is_one_id_in_header_body_and_log(
    lenient: TestClient,
    auth: Headers,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: object, **__: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr("deconflict.core.engine.StrategicEngine.check", broken)
    with caplog.at_level(logging.ERROR, logger="deconflict.api.errors"):
        r = lenient.post(
            "/v1/operations:check",
            json=native_op(),
            headers={**auth("alpha"), "X-Request-ID": "client-42"},
        )
    assert r.status_code == 500, r.text
    assert r.headers["X-Request-ID"] == "client-42"
    assert r.json()["error_id"] == "client-42" == r.json()["request_id"]
    [record] = [rec for rec in caplog.records if rec.exc_info is not None]
    assert "client-42" in record.getMessage()


def test_a_503_body_carries_the_request_id(
    lenient: TestClient, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_: object, **__: object) -> object:
        raise StoreUnavailable("database unavailable: gone")

    monkeypatch.setattr("deconflict.core.engine.StrategicEngine.check", unavailable)
    r = lenient.post("/v1/operations:check", json=native_op(), headers=auth("alpha"))
    assert r.status_code == 503, r.text
    assert r.json()["request_id"] == r.headers["X-Request-ID"]


def test_log_records_made_during_a_request_carry_its_id(
    app: FastAPI, lenient: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/__log_probe")
    def probe() -> str:
        logging.getLogger("deconflict.probe").warning("inside the request")
        return "ok"

    with caplog.at_level(logging.WARNING, logger="deconflict.probe"):
        r = lenient.get("/__log_probe", headers={"X-Request-ID": "probe-7"})
    assert r.status_code == 200
    [record] = [rec for rec in caplog.records if rec.name == "deconflict.probe"]
    assert record.request_id == "probe-7"  # type: ignore[attr-defined]
