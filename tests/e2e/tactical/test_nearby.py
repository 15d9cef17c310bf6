"""Parties flying near an operation that goes off-nominal are told where and when."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.store.audit import chain_pending, entries_about
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture
from tests.e2e.native.test_native import body
from tests.e2e.tactical.conftest import Headers, agree, events, post, report
from tests.tactical.helpers import FakeClock

NEAR_LON = 0.05
"""beta's operation: about 4.5 km east of op1 (10 km is the default near distance)."""
FAR_LON = 1.0
"""gamma's operation: about 110 km east of op1."""


def notices(client: TestClient, headers: dict[str, str]) -> list[Any]:
    return [b for _, b in events(client, headers, "conformance.")]


def fly(client: TestClient, auth: Headers, clock: FakeClock, lon: float) -> None:
    rep = report("A1", lon, clock.now, lat=0.005, alt_m=150.0, gs_mps=0.0)
    post(client, auth("alpha"), {**rep, "operation": "op1"})


def operations(client: TestClient, auth: Headers) -> None:
    """alpha flies op1; beta plans one near it, gamma one far away."""
    for party, op, lon in (("beta", "opb", NEAR_LON), ("gamma", "opg", FAR_LON)):
        r = client.put(f"/v1/operations/{op}", json=body(lon), headers=auth(party))
        assert r.status_code == 201, r.text
    assert client.put("/v1/operations/op1", json=body(), headers=auth("alpha")).status_code == 201
    r = client.post("/v1/operations/op1/state", json={"state": "Activated"}, headers=auth("alpha"))
    assert r.status_code == 200


def nonconforming(client: TestClient, auth: Headers, clock: FakeClock, lon: float = 0.02) -> None:
    operations(client, auth)
    fly(client, auth, clock, 0.005)
    clock.advance(1)
    fly(client, auth, clock, lon)
    clock.advance(11)
    fly(client, auth, clock, lon)


def test_a_party_flying_near_is_told_the_operation_went_nonconforming(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock)
    [notice] = notices(client, auth("beta"))
    assert (notice["change"], notice["state"]) == ("nonconforming", "Nonconforming")
    assert notice["your_operations"] == ["opb"]
    [aircraft] = notice["where"]["aircraft"]
    assert (aircraft["lon"], aircraft["alt_m"]) == (0.02, 150.0)
    assert len(notice["where"]["volumes"]) == 1


def test_a_party_flying_far_away_is_not_told(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock)
    assert notices(client, auth("gamma")) == []


def test_the_notice_says_where_and_when_but_not_whose(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock)
    r = client.get("/v1/events", params={"follow": "false"}, headers=auth("beta"))
    assert "conformance.notice" in r.text
    assert "op1" not in r.text and "alpha" not in r.text and "A1" not in r.text


def test_under_an_agreement_the_notice_names_the_operation_and_its_party(
    app: FastAPI, client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    agree(app, "alpha", "beta")
    nonconforming(client, auth, clock)
    [notice] = notices(client, auth("beta"))
    assert (notice["operation_id"], notice["party"]) == ("op1", "alpha")


def test_a_party_near_the_straying_aircraft_is_told_even_far_from_the_volumes(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock, lon=FAR_LON - 0.02)
    [notice] = notices(client, auth("gamma"))
    assert notice["your_operations"] == ["opg"]


def test_contingent_is_a_second_notice(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    nonconforming(client, auth, clock)
    clock.advance(61)
    live.run_pass()
    assert [n["change"] for n in notices(client, auth("beta"))] == ["nonconforming", "contingent"]


def test_recovery_is_told_to_the_parties_that_were_told(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock)
    clock.advance(1)
    fly(client, auth, clock, 0.005)
    changes = [(n["change"], n["state"]) for n in notices(client, auth("beta"))]
    assert changes == [("nonconforming", "Nonconforming"), ("recovered", "Activated")]


def test_the_owner_gets_no_notice_about_its_own_operation(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock)
    assert notices(client, auth("alpha")) == []


def test_a_notice_is_recorded_in_the_audit_log_as_shown_to_the_party_near(
    client: TestClient, auth: Headers, clock: FakeClock, store: SqlStore
) -> None:
    nonconforming(client, auth, clock)
    chain_pending(store)
    entries = store.run(lambda s: [c.entry for c in entries_about(s.conn, "alpha")], write=False)
    shown = [e for e in entries if e.detail.get("via") == "conformance.notice"]
    assert [(e.actor, e.object_id) for e in shown] == [("beta", "op1")]
