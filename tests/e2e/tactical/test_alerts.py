"""Reports in, conflicts detected, alerts with a lifecycle and acknowledgement."""

from __future__ import annotations

from fastapi.testclient import TestClient

from deconflict.tactical.live import LivePicture
from tests.e2e.tactical.conftest import Headers, post, report
from tests.tactical.helpers import HEAD_ON_LON, FakeClock


def head_on(client: TestClient, auth: Headers, clock: FakeClock) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=270.0))


def test_reports_on_a_collision_course_raise_one_alert_seen_by_both_parties(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    answer = post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=270.0))
    [mine] = answer["alerts"]
    assert (mine["own"], mine["state"], mine["severity"]) == ("B1", "new", "caution")
    assert 50 < mine["t_in_s"] < 60 and mine["dcpa_m"] < 1.0 and mine["los"] is False
    [theirs] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    assert theirs["id"] == mine["id"] and theirs["own"] == "A1"


def test_an_alert_names_the_other_aircraft_only_by_an_alias(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    r = client.get("/v1/alerts", headers=auth("alpha"))
    [alert] = r.json()["alerts"]
    assert set(alert["other"]) == {"alias", "state"}
    assert alert["other"]["alias"].startswith("traffic-")
    assert "B1" not in r.text and "beta" not in r.text


def test_an_alert_carries_an_advisory_for_the_callers_aircraft_that_clears_it(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    advisory = alert["advisory"]
    assert advisory["clears"] is True
    assert abs(advisory["d_track_deg"]) + abs(advisory["d_gs_mps"]) + abs(advisory["d_vs_mps"]) > 0


def test_an_alert_goes_new_then_ongoing_and_resolves_only_after_the_hysteresis(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    head_on(client, auth, clock)
    assert client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"][0]["state"] == "new"
    clock.advance(1)
    post(client, auth("alpha"), report("A1", 0.0009, clock.now, track_deg=90.0))
    assert client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"][0]["state"] == (
        "ongoing"
    )
    clock.advance(1)  # beta turns to fly parallel: no conflict any more, one pass later
    post(client, auth("beta"), report("B1", HEAD_ON_LON - 0.0018, clock.now, track_deg=90.0))
    post(client, auth("alpha"), report("A1", 0.0018, clock.now, track_deg=90.0))
    assert client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"][0]["state"] == (
        "ongoing"
    )
    clock.advance(10)
    live.run_pass()
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    assert alert["state"] == "resolved" and alert["advisory"] is None


def test_a_pair_that_comes_back_within_the_hysteresis_keeps_its_alert(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    [first] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    clock.advance(1)
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=90.0))
    clock.advance(1)
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=270.0))
    [again] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    assert (again["id"], again["state"]) == (first["id"], "ongoing")


def test_acknowledgement_is_recorded_for_the_acknowledging_party_only(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    r = client.post(f"/v1/alerts/{alert['id']}/ack", headers=auth("alpha"))
    assert r.status_code == 200 and r.json()["alerts"][0]["acknowledged"] is True
    [seen_by_beta] = client.get("/v1/alerts", headers=auth("beta")).json()["alerts"]
    assert seen_by_beta["acknowledged"] is False


def test_an_alert_not_involving_the_caller_cannot_be_acknowledged(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    r = client.post(f"/v1/alerts/{alert['id']}/ack", headers=auth("gamma"))
    assert r.status_code == 404 and "no active alert" in r.json()["message"]
    assert client.get("/v1/alerts", headers=auth("gamma")).json()["alerts"] == []


def test_two_aircraft_of_one_party_get_one_entry_each_naming_the_other(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(
        client,
        auth("alpha"),
        report("A1", 0.0, clock.now, track_deg=90.0),
        report("A2", HEAD_ON_LON, clock.now, track_deg=270.0),
    )
    alerts = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    assert [(a["own"], a["other"]) for a in alerts] == [("A1", {"id": "A2"}), ("A2", {"id": "A1"})]
