"""The WebSocket stream: reports in as messages, the caller's alerts back for each."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.e2e.native.test_native import body
from tests.e2e.tactical.conftest import Headers, post, report
from tests.tactical.helpers import HEAD_ON_LON, FakeClock


def test_each_message_is_answered_with_the_callers_alerts(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    with client.websocket_connect("/v1/stream/tracks", headers=auth("beta")) as ws:
        ws.send_json(report("B1", HEAD_ON_LON, clock.now, track_deg=90.0))
        assert ws.receive_json() == {"accepted": 1, "ignored": 0, "alerts": []}
        clock.advance(1)
        ws.send_json({"reports": [report("B1", HEAD_ON_LON, clock.now, track_deg=270.0)]})
        [alert] = ws.receive_json()["alerts"]
    assert (alert["own"], alert["state"]) == ("B1", "new")


def test_the_token_may_come_as_a_query_parameter(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    token = auth("beta")["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect(f"/v1/stream/tracks?access_token={token}") as ws:
        ws.send_json([report("B1", 0.0, clock.now)])
        assert ws.receive_json()["accepted"] == 1
    [track] = client.get("/v1/tracks", headers=auth("beta")).json()["tracks"]
    assert track["id"] == "B1"


def test_a_bad_message_gets_an_error_answer_and_the_stream_stays_open(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    assert client.put("/v1/operations/opa", json=body(), headers=auth("alpha")).status_code == 201
    with client.websocket_connect("/v1/stream/tracks", headers=auth("beta")) as ws:
        ws.send_text("not json")
        assert ws.receive_json()["status"] == 400
        ws.send_json(report("B1", 0.0, clock.now, lat=91.0))
        bad = ws.receive_json()
        assert bad["status"] == 400 and bad["message"].startswith("reports[0].lat")
        ws.send_json({**report("B1", 0.0, clock.now), "operation": "opa"})
        assert ws.receive_json()["status"] == 403
        ws.send_json(report("B1", 0.0, clock.now))
        assert ws.receive_json()["accepted"] == 1


def test_a_connection_without_a_valid_track_token_is_refused(
    client: TestClient, auth: Headers
) -> None:
    for headers in ({}, auth("beta", "deconflict.read"), {"Authorization": "Bearer nope"}):
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            client.websocket_connect("/v1/stream/tracks", headers=headers) as ws,
        ):
            ws.receive_json()
        assert closed.value.code == 1008
