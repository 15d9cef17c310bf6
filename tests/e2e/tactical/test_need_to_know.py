"""Telemetry need-to-know on every tactical read path (issue 8's rule for tracks).

Another party's aircraft is shown only while it is in conflict with one of the reader's,
or off-nominal; own tracks always; the service operator sees everything; a sharing
agreement can name the other aircraft or show its telemetry at all times.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.store.audit import chain_pending, entries_about
from deconflict.store.sql import SqlStore
from tests.conftest import grant_party
from tests.e2e.native.test_native import body
from tests.e2e.tactical.conftest import Headers, agree, events, post, report
from tests.tactical.helpers import HEAD_ON_LON, FakeClock

PARALLEL = {"track_deg": 90.0}
TOWARDS = {"track_deg": 270.0}


def alpha_and_beta(client: TestClient, auth: Headers, clock: FakeClock, **beta: Any) -> Any:
    """A1 flies east; B1, 20 km ahead, flies as told. Returns beta's POST answer."""
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    return post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, **beta))


def traffic(client: TestClient, headers: dict[str, str]) -> list[Any]:
    r = client.get("/v1/tracks", headers=headers)
    assert r.status_code == 200, r.text
    found: list[Any] = r.json()["traffic"]
    return found


# ------------------------------------------------------------ GET /v1/tracks


def test_tracks_hide_another_partys_aircraft_that_is_not_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **PARALLEL)
    assert traffic(client, auth("alpha")) == []


def test_tracks_show_another_partys_aircraft_in_conflict_with_one_of_yours(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **TOWARDS)
    [seen] = traffic(client, auth("alpha"))
    assert seen["lon"] == HEAD_ON_LON and "id" not in seen


def test_tracks_do_not_show_a_conflict_between_two_other_parties(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **TOWARDS)
    post(client, auth("gamma"), report("G1", 50.0, clock.now))
    assert traffic(client, auth("gamma")) == []


def test_tracks_show_another_partys_aircraft_whose_operation_is_off_nominal(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    grant_party(client, auth, "beta", off_nominal=True)
    assert client.put("/v1/operations/opb", json=body(), headers=auth("beta")).status_code == 201
    r = client.post("/v1/operations/opb/state", json={"state": "Contingent"}, headers=auth("beta"))
    assert r.status_code == 200
    post(client, auth("alpha"), report("A1", 10.0, clock.now))
    post(client, auth("beta"), {**report("B1", 0.005, clock.now, lat=0.005), "operation": "opb"})
    [seen] = traffic(client, auth("alpha"))
    assert seen["off_nominal"] is True and seen["lon"] == 0.005


def test_tracks_show_an_aircraft_outside_its_volumes_once_monitoring_says_so(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    assert client.put("/v1/operations/opb", json=body(), headers=auth("beta")).status_code == 201
    client.post("/v1/operations/opb/state", json={"state": "Activated"}, headers=auth("beta"))
    post(client, auth("alpha"), report("A1", 10.0, clock.now))
    outside = {**report("B1", 0.02, clock.now, gs_mps=0.0, alt_m=150.0), "operation": "opb"}
    post(client, auth("beta"), outside)
    assert traffic(client, auth("alpha")) == []
    clock.advance(11)
    post(client, auth("beta"), {**outside, "time": report("B1", 0.02, clock.now)["time"]})
    [seen] = traffic(client, auth("alpha"))
    assert seen["off_nominal"] is True


def test_tracks_show_the_service_operator_every_aircraft_with_its_party(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **PARALLEL)
    r = client.get("/v1/tracks", headers=auth("operator", "deconflict.admin"))
    assert r.status_code == 200
    assert [(t["id"], t["party"]) for t in r.json()["tracks"]] == [
        ("A1", "alpha"),
        ("B1", "beta"),
    ]


def test_the_operators_read_of_every_track_is_recorded_for_each_owner(
    client: TestClient, auth: Headers, clock: FakeClock, store: SqlStore
) -> None:
    alpha_and_beta(client, auth, clock, **PARALLEL)
    client.get("/v1/tracks", headers=auth("operator", "deconflict.admin"))
    chain_pending(store)
    for party, track in (("alpha", "A1"), ("beta", "B1")):
        entries = store.run(
            lambda s, p=party: [c.entry for c in entries_about(s.conn, p)], write=False
        )
        shown = [e for e in entries if e.object_kind == "track"]
        assert [(e.actor, e.object_id, e.detail["level"]) for e in shown] == [
            ("operator", track, "operator")
        ]


def test_tracks_under_a_telemetry_agreement_show_the_other_aircraft_at_all_times(
    app: FastAPI, client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    agree(app, "alpha", "beta", telemetry=True)
    alpha_and_beta(client, auth, clock, **PARALLEL)
    [seen] = traffic(client, auth("alpha"))
    assert (seen["id"], seen["party"]) == ("B1", "beta")


def test_an_agreement_between_two_parties_shows_nothing_to_a_third(
    app: FastAPI, client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    agree(app, "alpha", "beta", telemetry=True)
    alpha_and_beta(client, auth, clock, **PARALLEL)
    post(client, auth("gamma"), report("G1", 50.0, clock.now))
    assert traffic(client, auth("gamma")) == []


# ----------------------------------------------------- alerts and answers


def test_alerts_under_an_identifying_agreement_name_the_other_aircraft(
    app: FastAPI, client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    agree(app, "alpha", "beta")
    alpha_and_beta(client, auth, clock, **TOWARDS)
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    assert (alert["other"]["id"], alert["other"]["party"]) == ("B1", "beta")
    assert alert["other"]["state"]["id"] == "B1"


def test_the_post_answer_carries_no_telemetry_of_an_aircraft_not_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    answer = alpha_and_beta(client, auth, clock, **PARALLEL)
    assert answer["alerts"] == []


def test_the_post_answer_carries_the_telemetry_of_an_aircraft_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    answer = alpha_and_beta(client, auth, clock, **TOWARDS)
    [alert] = answer["alerts"]
    assert alert["other"]["state"]["lon"] == 0.0


def test_the_websocket_answers_carry_telemetry_only_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    with client.websocket_connect("/v1/stream/tracks", headers=auth("beta")) as ws:
        ws.send_json(report("B1", HEAD_ON_LON, clock.now, **PARALLEL))
        apart = ws.receive_json()
        clock.advance(1)
        ws.send_json(report("B1", HEAD_ON_LON, clock.now, **TOWARDS))
        closing = ws.receive_json()
    assert apart == {"accepted": 1, "ignored": 0, "alerts": []}
    [alert] = closing["alerts"]
    assert alert["other"]["state"]["lon"] == 0.0 and "A1" not in str(closing)


def test_alerts_carry_no_telemetry_of_an_aircraft_not_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **PARALLEL)
    assert client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"] == []


def test_alerts_carry_the_telemetry_of_an_aircraft_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **TOWARDS)
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    assert alert["other"]["state"]["lon"] == HEAD_ON_LON


def test_the_event_stream_carries_no_telemetry_of_an_aircraft_not_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **PARALLEL)
    assert events(client, auth("alpha"), "alert.") == []


def test_the_event_stream_carries_the_telemetry_of_an_aircraft_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    alpha_and_beta(client, auth, clock, **TOWARDS)
    [(_, alert)] = events(client, auth("alpha"), "alert.")
    assert alert["other"]["state"]["lon"] == HEAD_ON_LON


def test_reading_an_off_nominal_aircraft_is_recorded_once_in_the_audit_log(
    client: TestClient, auth: Headers, clock: FakeClock, store: SqlStore
) -> None:
    test_tracks_show_another_partys_aircraft_whose_operation_is_off_nominal(client, auth, clock)
    traffic(client, auth("alpha"))
    chain_pending(store)
    entries = store.run(lambda s: [c.entry for c in entries_about(s.conn, "beta")], write=False)
    shown = [e for e in entries if e.object_kind == "track"]
    assert [(e.actor, e.object_id, e.detail["reason"]) for e in shown] == [
        ("alpha", "B1", "off_nominal")
    ]
