"""Alerts reach both parties through the durable party event stream (``/v1/events``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.store.hotline import SqlMessageBook
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture
from tests.conftest import disclosures_about
from tests.e2e.tactical.conftest import Headers, agree, events, post, report
from tests.tactical.helpers import HEAD_ON_LON, FakeClock

STEP_DEG = 0.0009
"""100 m/s for 1 s, in degrees of longitude on the equator."""


def head_on(client: TestClient, auth: Headers, clock: FakeClock) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=270.0))


def fly_on(client: TestClient, auth: Headers, clock: FakeClock, seconds: float) -> None:
    """Both aircraft keep their head-on course for ``seconds`` and report again."""
    clock.advance(seconds)
    moved = STEP_DEG * seconds
    post(client, auth("alpha"), report("A1", moved, clock.now, track_deg=90.0))
    post(client, auth("beta"), report("B1", HEAD_ON_LON - moved, clock.now, track_deg=270.0))


def alert_events(client: TestClient, headers: dict[str, str]) -> list[Any]:
    return events(client, headers, "alert.")


def test_a_new_alert_is_an_event_for_each_party_with_the_other_as_anonymous_traffic(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    [(kind_a, to_alpha)] = alert_events(client, auth("alpha"))
    [(kind_b, to_beta)] = alert_events(client, auth("beta"))
    assert kind_a == kind_b == "alert.new"
    assert to_alpha["id"] == to_beta["id"]
    assert (to_alpha["own"], to_beta["own"]) == ("A1", "B1")
    assert set(to_alpha["other"]) == {"alias", "state"}
    assert to_alpha["other"]["state"]["lon"] == HEAD_ON_LON
    assert to_alpha["severity"] == "caution"


def test_an_alert_event_names_neither_the_other_aircraft_nor_its_party(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    r = client.get("/v1/events", params={"follow": "false"}, headers=auth("alpha"))
    assert "alert.new" in r.text and "B1" not in r.text and "beta" not in r.text


def test_reports_that_change_nothing_publish_no_alert_event(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    for _ in range(3):
        fly_on(client, auth, clock, 1)
    assert [k for k, _ in alert_events(client, auth("alpha"))] == ["alert.new"]


def test_a_severity_change_is_an_alert_updated_event_for_both(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    fly_on(client, auth, clock, 25)  # t_in drops from about 54 s to about 29 s
    for headers in (auth("alpha"), auth("beta")):
        kinds = alert_events(client, headers)
        assert [k for k, _ in kinds] == ["alert.new", "alert.updated"]
        assert kinds[-1][1]["severity"] == "warning"


def test_a_resolved_alert_is_an_alert_resolved_event_for_both(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    head_on(client, auth, clock)
    clock.advance(1)
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=90.0))
    clock.advance(11)
    live.run_pass()
    for headers in (auth("alpha"), auth("beta")):
        kind, body = alert_events(client, headers)[-1]
        assert (kind, body["state"]) == ("alert.resolved", "resolved")


def test_an_acknowledgement_is_an_event_for_both_saying_who_acknowledged(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    r = client.post(f"/v1/alerts/{alert['id']}/ack", headers=auth("alpha"))
    assert r.status_code == 200
    kind_a, to_alpha = alert_events(client, auth("alpha"))[-1]
    kind_b, to_beta = alert_events(client, auth("beta"))[-1]
    assert kind_a == kind_b == "alert.acknowledged"
    assert (to_alpha["acknowledged_by_you"], to_beta["acknowledged_by_you"]) == (True, False)
    assert (to_alpha["acknowledged"], to_beta["acknowledged"]) == (True, False)


def test_under_an_agreement_alert_events_name_the_other_aircraft_and_party(
    app: FastAPI, client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    agree(app, "alpha", "beta")
    head_on(client, auth, clock)
    [(_, to_alpha)] = alert_events(client, auth("alpha"))
    assert (to_alpha["other"]["id"], to_alpha["other"]["party"]) == ("B1", "beta")


def test_alert_events_also_arrive_on_the_websocket_stream(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    head_on(client, auth, clock)
    with client.websocket_connect("/v1/stream", headers=auth("beta")) as ws:
        first = ws.receive_json()
    assert (first["kind"], first["data"]["own"]) == ("alert.new", "B1")


def test_a_new_alert_is_a_hotline_conflict_between_the_two_parties(
    client: TestClient, auth: Headers, clock: FakeClock, store: SqlStore
) -> None:
    head_on(client, auth, clock)
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    sides = store.run(lambda s: SqlMessageBook(s.conn).conflict(str(alert["id"])), write=False)
    assert sides is not None and sides.kind == "tactical"
    assert {(sides.party_a, sides.subject_a), (sides.party_b, sides.subject_b)} == {
        ("alpha", "A1"),
        ("beta", "B1"),
    }


def test_a_new_alert_records_in_the_audit_log_who_was_shown_whose_aircraft(
    client: TestClient, auth: Headers, clock: FakeClock, store: SqlStore
) -> None:
    head_on(client, auth, clock)
    [shown] = [e for e in disclosures_about(store, "beta") if e.object_kind == "track"]
    assert (shown.actor, shown.object_id, shown.detail["via"]) == ("alpha", "B1", "alert.new")
