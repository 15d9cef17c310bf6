"""Track ids are call signs, and call signs are need-to-know (the ``call_signs`` grant).

Two parties may each fly an aircraft under the same id: each reports and sees its own,
nothing tells either that the other exists, and the detector still sees both aircraft.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.e2e.tactical.conftest import Headers, agree, events, post, report
from tests.tactical.helpers import HEAD_ON_LON, FakeClock

TOWARDS = {"track_deg": 270.0}


def both_fly_x1(client: TestClient, auth: Headers, clock: FakeClock, **beta: Any) -> Any:
    """Alpha's X1 flies east at lon 0; beta's X1, 20 km east, flies as told."""
    post(client, auth("alpha"), report("X1", 0.0, clock.now, track_deg=90.0))
    r = client.post(
        "/v1/tracks",
        json={"reports": [report("X1", HEAD_ON_LON, clock.now, **beta)]},
        headers=auth("beta"),
    )
    return r


def tracks(client: TestClient, headers: dict[str, str]) -> Any:
    r = client.get("/v1/tracks", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def alerts(client: TestClient, headers: dict[str, str]) -> list[Any]:
    r = client.get("/v1/alerts", headers=headers)
    assert r.status_code == 200, r.text
    found: list[Any] = r.json()["alerts"]
    return found


def test_a_track_id_another_party_flies_is_accepted(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    r = both_fly_x1(client, auth, clock)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1


def test_the_answer_never_says_another_party_reports_the_id(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    r = both_fly_x1(client, auth, clock)
    assert "another party" not in r.text


def test_each_party_sees_only_its_own_aircraft_under_a_shared_id(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    both_fly_x1(client, auth, clock)
    for party, lon in (("alpha", 0.0), ("beta", HEAD_ON_LON)):
        body = tracks(client, auth(party))
        assert [(t["id"], t["lon"]) for t in body["tracks"]] == [("X1", lon)]
        assert body["traffic"] == []


def test_a_later_report_under_a_shared_id_moves_only_the_reporters_aircraft(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    both_fly_x1(client, auth, clock)
    post(client, auth("beta"), report("X1", 1.0, clock.advance(1)))
    [mine] = tracks(client, auth("alpha"))["tracks"]
    assert mine["lon"] == 0.0


def test_the_operator_sees_both_aircraft_under_a_shared_id_with_their_parties(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    both_fly_x1(client, auth, clock)
    every = tracks(client, auth("ops", "deconflict.admin"))["tracks"]
    assert sorted((t["id"], t["party"]) for t in every) == [("X1", "alpha"), ("X1", "beta")]


def test_a_conflict_between_two_aircraft_of_one_id_alerts_both_parties(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    both_fly_x1(client, auth, clock, **TOWARDS)
    to_alpha, to_beta = alerts(client, auth("alpha")), alerts(client, auth("beta"))
    assert [a["own"] for a in to_alpha] == ["X1"] and [a["own"] for a in to_beta] == ["X1"]
    assert to_alpha[0]["id"] == to_beta[0]["id"]
    assert "id" not in to_alpha[0]["other"] and "party" not in to_alpha[0]["other"]


def test_the_alert_between_them_reaches_both_event_streams(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    both_fly_x1(client, auth, clock, **TOWARDS)
    for party in ("alpha", "beta"):
        assert [kind for kind, _ in events(client, auth(party), "alert.")] == ["alert.new"]


def test_under_a_call_sign_agreement_the_other_aircraft_is_its_id_and_party(
    app: FastAPI, client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    agree(app, "alpha", "beta")
    both_fly_x1(client, auth, clock, **TOWARDS)
    [seen] = alerts(client, auth("alpha"))
    assert (seen["other"]["id"], seen["other"]["party"]) == ("X1", "beta")


def test_both_parties_acknowledge_the_alert_between_their_aircraft(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    both_fly_x1(client, auth, clock, **TOWARDS)
    [alert] = alerts(client, auth("alpha"))
    for party in ("alpha", "beta"):
        r = client.post(f"/v1/alerts/{alert['id']}/ack", headers=auth(party))
        assert r.status_code == 200, r.text
        assert alerts(client, auth(party))[0]["acknowledged"] is True


def test_the_track_stream_accepts_an_id_another_party_flies(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("X1", 0.0, clock.now))
    with client.websocket_connect("/v1/stream/tracks", headers=auth("beta")) as ws:
        ws.send_json(report("X1", 1.0, clock.now))
        answer = ws.receive_json()
    assert answer.get("accepted") == 1, answer
