"""Issue 16, defect 3: our own failure is a 500 with an error id that the log carries
with the traceback, never a 400 that blames the request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from deconflict.api.app import create_app
from deconflict.auth.scopes import Scope
from deconflict.errors import InvalidInput
from deconflict.settings import Settings
from deconflict.store.schema_dss import dss_constraints
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, native_op
from tests.e2e.dss.conftest import CR, OIR, intent_body, new_id, volume4d


@pytest.fixture
def lenient(settings: Settings, store: SqlStore) -> Iterator[TestClient]:
    """A client that receives the 500 instead of re-raising the server's exception."""
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as c:
        yield c


def break_overlap_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure of issue 16: an input rule firing on a shape the service derived."""

    def broken(_: object) -> object:
        raise InvalidInput("vertices[2]", "repeats vertex 1; every vertex must be distinct")

    monkeypatch.setattr("deconflict.geo.overlap._as_polygon", broken)


def test_a_failure_while_reporting_a_conflict_is_a_500_with_an_error_id(
    lenient: TestClient, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        lenient.put("/v1/operations/a", json=native_op(), headers=auth("alpha")).status_code == 201
    )
    break_overlap_drawing(monkeypatch)
    r = lenient.put("/v1/operations/b", json=native_op(lon=0.005), headers=auth("beta"))
    assert r.status_code == 500
    body = r.json()
    assert body["error_id"] in body["message"]
    assert "not in the request" in body["message"]
    assert "vertices" not in body["message"]


def test_the_log_carries_the_error_id_with_the_traceback(
    lenient: TestClient,
    auth: Headers,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lenient.put("/v1/operations/a", json=native_op(), headers=auth("alpha"))
    break_overlap_drawing(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="deconflict.api.errors"):
        r = lenient.post("/v1/operations:check", json=native_op(lon=0.005), headers=auth("beta"))
    assert r.status_code == 500
    [record] = [rec for rec in caplog.records if r.json()["error_id"] in rec.getMessage()]
    assert record.exc_info is not None
    assert "repeats vertex 1" in caplog.text and "Traceback" in caplog.text


def test_invalid_input_stays_a_400_naming_the_field(lenient: TestClient, auth: Headers) -> None:
    bad = native_op()
    bad["volumes"][0]["altitude_lower_m"] = 500
    r = lenient.put("/v1/operations/a", json=bad, headers=auth("alpha"))
    assert r.status_code == 400
    assert "altitude" in r.json()["message"]


def test_an_f3548_write_that_fails_on_our_side_is_a_500_with_an_error_id(
    lenient: TestClient, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr("deconflict.dss.wire.convert.intent_ref", broken)
    headers = auth("uss-alpha", Scope.STRATEGIC_COORDINATION.value)
    r = lenient.put(f"{OIR}/{new_id()}", json=intent_body(), headers=headers)
    assert r.status_code == 500, r.text
    assert r.json()["error_id"] in r.json()["message"]


def test_a_stored_f3548_constraint_that_no_longer_reads_is_a_500_not_a_400(
    lenient: TestClient, auth: Headers, store: SqlStore
) -> None:
    """A stored row was valid when written: an input rule failing on it now (a rule
    tightened since, a damaged row) is our failure, not the caller's."""
    constraint_id = new_id()
    body = {"extents": [volume4d(lo=None, hi=None)], "uss_base_url": "https://a.example/utm"}
    headers = auth("uss-alpha", Scope.CONSTRAINT_MANAGEMENT.value)
    assert lenient.put(f"{CR}/{constraint_id}", json=body, headers=headers).status_code == 201
    with store.engine.begin() as conn:
        text = conn.execute(select(dss_constraints.c.extents)).scalar_one()
        damaged = text.replace('"circle":[7.0,46.0,300.0]', '"circle":[7.0,46.0,-1.0]')
        assert damaged != text
        conn.execute(update(dss_constraints).values(extents=damaged))
    r = lenient.get(f"{CR}/{constraint_id}", headers=headers)
    assert r.status_code == 500, r.text
    assert r.json()["error_id"] in r.json()["message"]
