"""The party event stream: own events only, conflict notices to both sides, resumable."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from tests.conftest import Grant, Headers, catch_up, native_op


def test_a_party_sees_its_own_operations_and_notices_about_its_own_volumes(
    client: TestClient, auth: Headers, grant: Grant
) -> None:
    assert (
        client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha")).status_code == 201
    )
    assert (
        client.put("/v1/operations/g1", json=native_op(lon=5), headers=auth("gamma")).status_code
        == 201
    )
    # beta's higher-priority operation overlaps alpha's: accepted, with a notice to both.
    grant("beta", priority_max=5)
    r = client.put("/v1/operations/b1", json=native_op(lon=0.005, priority=5), headers=auth("beta"))
    assert r.status_code == 201, r.text

    alpha = catch_up(client, auth("alpha"))
    assert [e["event"] for e in alpha] == ["operation.created", "conflict.notice"]
    assert [e["id"] for e in alpha] == ["1", "2"]
    notice = alpha[1]["data"]["data"]
    assert notice["operation_id"] == "a1" and notice["planned_by_you"] is False
    assert notice["reason"] == "higher_priority"
    (overlap,) = notice["overlaps"]
    assert overlap["volume"] == 0 and overlap["time_start"] == "2030-07-01T10:00:00Z"
    assert overlap["altitude_lower_m"] == 100 and overlap["geometry"]["type"] == "Polygon"
    # Need-to-know: by default the notice does not say whose operation it was.
    assert "b1" not in orjson.dumps(alpha).decode() and "beta" not in orjson.dumps(alpha).decode()

    beta = catch_up(client, auth("beta"))
    assert [e["event"] for e in beta] == ["operation.created", "conflict.notice"]
    assert beta[1]["data"]["data"]["operation_id"] == "b1"
    assert beta[1]["data"]["data"]["planned_by_you"] is True
    assert "a1" not in orjson.dumps(beta).decode()

    gamma = catch_up(client, auth("gamma"))
    assert [(e["event"], e["data"]["data"]["operation_id"]) for e in gamma] == [
        ("operation.created", "g1")
    ]


def test_state_changes_and_deletion_are_events_too(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha"))
    client.post("/v1/operations/a1/state", json={"state": "Activated"}, headers=auth("alpha"))
    client.delete("/v1/operations/a1", headers=auth("alpha"))
    events = catch_up(client, auth("alpha"))
    assert [(e["event"], e["data"]["data"].get("state")) for e in events] == [
        ("operation.created", "Accepted"),
        ("operation.state_changed", "Activated"),
        ("operation.deleted", "Activated"),
    ]


def test_resuming_with_last_event_id_loses_nothing_and_repeats_nothing(
    client: TestClient, auth: Headers
) -> None:
    for i in range(3):
        client.put(f"/v1/operations/a{i}", json=native_op(lon=i), headers=auth("alpha"))
    first = catch_up(client, auth("alpha"))
    last_seen = first[-1]["id"]
    for i in range(3, 7):
        client.put(f"/v1/operations/a{i}", json=native_op(lon=i), headers=auth("alpha"))
    rest = catch_up(client, {**auth("alpha"), "Last-Event-ID": last_seen})
    ids = [int(e["id"]) for e in first + rest]
    assert ids == list(range(1, 8))
    assert [e["data"]["data"]["operation_id"] for e in rest] == ["a3", "a4", "a5", "a6"]
    # ``after`` is the same thing as a query parameter.
    assert [e["id"] for e in catch_up(client, auth("alpha"), after=5)] == ["6", "7"]


def test_the_websocket_streams_the_same_events_and_resumes_after_an_id(
    client: TestClient, auth: Headers, settings: Any
) -> None:
    for i in range(3):
        client.put(f"/v1/operations/a{i}", json=native_op(lon=i), headers=auth("alpha"))
    token = auth("alpha")["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect(f"/v1/stream?after=1&access_token={token}") as ws:
        got = [ws.receive_json(), ws.receive_json()]
        assert [(m["id"], m["kind"]) for m in got] == [(2, "operation.created")] * 1 + [
            (3, "operation.created")
        ]
        # New events arrive on the open socket.
        client.put("/v1/operations/a9", json=native_op(lon=9), headers=auth("alpha"))
        client.put("/v1/operations/z9", json=native_op(lon=20), headers=auth("zulu"))
        live = ws.receive_json()
        assert (live["id"], live["data"]["operation_id"]) == (4, "a9")


def test_a_reader_needs_a_native_scope(client: TestClient, auth: Headers) -> None:
    r = client.get("/v1/events?follow=false", headers=auth("alpha", "deconflict.track"))
    assert r.status_code == 403
    assert client.get("/v1/events?follow=false").status_code == 401


def test_latest_starts_after_the_newest_event_instead_of_replaying_the_log(
    client: TestClient, auth: Headers
) -> None:
    for i in range(3):
        client.put(f"/v1/operations/a{i}", json=native_op(lon=i), headers=auth("alpha"))
    assert catch_up(client, auth("alpha"), latest="true") == []
    # A client resuming from an id it saw still gets what came after it.
    resumed = catch_up(client, {**auth("alpha"), "Last-Event-ID": "2"}, latest="true")
    assert [e["id"] for e in resumed] == ["3"]
