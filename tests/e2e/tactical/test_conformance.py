"""Conformance monitoring through the service: operation states follow the aircraft."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from deconflict.tactical.live import LivePicture
from tests.e2e.native.test_native import body
from tests.e2e.tactical.conftest import Headers, post, report
from tests.tactical.helpers import FakeClock

INSIDE = {"lon": 0.005, "lat": 0.005, "alt_m": 150.0}
OUTSIDE = {"lon": 0.02, "lat": 0.005, "alt_m": 150.0}


def fly(client: TestClient, auth: Headers, clock: FakeClock, where: dict[str, Any]) -> None:
    rep = report("A1", where["lon"], clock.now, lat=where["lat"], alt_m=where["alt_m"])
    post(client, auth("alpha"), {**rep, "gs_mps": 0.0, "operation": "op1"})


def state(client: TestClient, auth: Headers) -> str:
    r = client.get("/v1/operations/op1", headers=auth("alpha"))
    assert r.status_code == 200
    value: str = r.json()["state"]
    return value


def activated(client: TestClient, auth: Headers) -> None:
    assert client.put("/v1/operations/op1", json=body(), headers=auth("alpha")).status_code == 201
    r = client.post("/v1/operations/op1/state", json={"state": "Activated"}, headers=auth("alpha"))
    assert r.status_code == 200


def nonconforming(client: TestClient, auth: Headers, clock: FakeClock) -> None:
    activated(client, auth)
    fly(client, auth, clock, INSIDE)
    clock.advance(1)
    fly(client, auth, clock, OUTSIDE)
    clock.advance(11)
    fly(client, auth, clock, OUTSIDE)


def test_a_short_excursion_changes_nothing(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    activated(client, auth)
    fly(client, auth, clock, OUTSIDE)
    clock.advance(9)
    fly(client, auth, clock, OUTSIDE)
    clock.advance(1)
    fly(client, auth, clock, INSIDE)
    assert state(client, auth) == "Activated"


def test_outside_beyond_the_threshold_makes_the_operation_nonconforming(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock)
    assert state(client, auth) == "Nonconforming"
    [track] = client.get("/v1/tracks", headers=auth("alpha")).json()["tracks"]
    assert (track["operation"], track["conformance"]) == ("op1", "nonconforming")


def test_still_outside_after_the_second_threshold_makes_it_contingent_without_reports(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    nonconforming(client, auth, clock)
    clock.advance(59)
    live.run_pass()
    assert state(client, auth) == "Nonconforming"
    clock.advance(2)
    live.run_pass()
    assert state(client, auth) == "Contingent"


def test_back_inside_returns_the_operation_to_activated(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    nonconforming(client, auth, clock)
    clock.advance(1)
    fly(client, auth, clock, INSIDE)
    assert state(client, auth) == "Activated"


def test_the_tolerance_keeps_an_aircraft_on_the_edge_conforming(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    activated(client, auth)
    fly(client, auth, clock, {**INSIDE, "alt_m": 203.0})  # 3 m above, tolerance 5 m
    clock.advance(30)
    fly(client, auth, clock, {**INSIDE, "alt_m": 203.0})
    assert state(client, auth) == "Activated"


def test_an_operation_that_is_not_flying_is_not_monitored(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    client.put("/v1/operations/op1", json=body(), headers=auth("alpha"))
    fly(client, auth, clock, OUTSIDE)
    clock.advance(30)
    fly(client, auth, clock, OUTSIDE)
    assert state(client, auth) == "Accepted"


def test_a_track_cannot_be_tied_to_another_partys_operation(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    activated(client, auth)
    rep = {**report("B1", 0.02, clock.now), "operation": "op1"}
    r = client.post("/v1/tracks", json={"reports": [rep]}, headers=auth("beta"))
    assert r.status_code == 403 and "op1" in r.json()["message"]


def test_an_unknown_operation_is_a_400_naming_the_report(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    rep = {**report("A1", 0.0, clock.now), "operation": "nope"}
    r = client.post("/v1/tracks", json={"reports": [rep]}, headers=auth("alpha"))
    assert r.status_code == 400 and r.json()["message"].startswith("reports[0].operation")


def test_an_operation_ended_while_nonconforming_is_not_escalated_later(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    nonconforming(client, auth, clock)
    r = client.post("/v1/operations/op1/state", json={"state": "Ended"}, headers=auth("alpha"))
    assert r.status_code == 200
    clock.advance(120)
    live.run_pass()
    assert state(client, auth) == "Ended"


def test_a_contingent_operation_stays_contingent_when_its_aircraft_is_back_inside(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    # F3548: Contingent "must transition to Ended"; the one transition table says so for
    # monitoring as for the party (issue 16, defect 5).
    nonconforming(client, auth, clock)
    clock.advance(61)
    live.run_pass()
    assert state(client, auth) == "Contingent"
    clock.advance(1)
    fly(client, auth, clock, INSIDE)
    clock.advance(1)
    fly(client, auth, clock, INSIDE)
    assert state(client, auth) == "Contingent"
