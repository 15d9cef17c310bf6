"""Inputs the service cannot hold are the caller's mistake: a 400 naming the field, never
a 500 (issue 21, Low), and identifiers come from one documented alphabet."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Headers, native_op


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"k": value}
    return value


def assert_400_naming(r: Any, field: str) -> None:
    assert r.status_code == 400, r.text
    assert field in r.json()["message"]


@pytest.mark.parametrize("priority", [2**63, 2**64 + 5, -(2**63) - 1])
def test_a_priority_beyond_64_bits_is_a_400_naming_priority(
    client: TestClient, auth: Headers, priority: int
) -> None:
    r = client.put("/v1/operations/a1", json=native_op(priority=priority), headers=auth())
    assert_400_naming(r, "priority")


def test_details_nested_300_levels_deep_are_a_400_naming_details(
    client: TestClient, auth: Headers
) -> None:
    body = native_op(details=nested(300))
    assert_400_naming(client.put("/v1/operations/a1", json=body, headers=auth()), "details")
    check = client.post("/v1/operations:check", json=body, headers=auth())
    assert_400_naming(check, "details")


def test_details_nested_within_the_limit_are_kept(client: TestClient, auth: Headers) -> None:
    body = native_op(details=nested(20))
    r = client.put("/v1/operations/a1", json=body, headers=auth())
    assert r.status_code == 201, r.text
    assert r.json()["operation"]["details"] == nested(20)


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"after": "9" * 20}, {}, "after"),
        ({}, {"Last-Event-ID": "9" * 20}, "Last-Event-ID"),
    ],
)
def test_an_event_id_beyond_64_bits_is_a_400_not_an_overflow(
    client: TestClient,
    auth: Headers,
    params: dict[str, str],
    headers: dict[str, str],
    field: str,
) -> None:
    r = client.get(
        "/v1/events",
        params={"follow": "false", **params},
        headers={**auth(), **headers},
    )
    assert_400_naming(r, field)


def test_a_websocket_resume_point_beyond_64_bits_closes_the_handshake(
    client: TestClient, auth: Headers
) -> None:
    from starlette.websockets import WebSocketDisconnect

    token = auth()["Authorization"].removeprefix("Bearer ")
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"/v1/stream?access_token={token}&after={'9' * 20}") as ws,
    ):
        ws.receive_text()
    assert closed.value.code == 1008 and "after" in closed.value.reason


@pytest.mark.parametrize(
    "op_id",
    [
        "\u0430lpha-1",  # Cyrillic a: looks like alpha-1
        "alpha\uff11",  # fullwidth digit one
        "caf\u00e9",
        "a b",
        "x" * 65,
    ],
)
def test_ids_outside_the_documented_alphabet_are_a_400(
    client: TestClient, auth: Headers, op_id: str
) -> None:
    r = client.put(f"/v1/operations/{op_id}", json=native_op(), headers=auth())
    assert_400_naming(r, "id")


def test_a_dry_run_validates_its_id_too(client: TestClient, auth: Headers) -> None:
    body = {"id": "\u0430lpha-1", **native_op()}
    assert_400_naming(client.post("/v1/operations:check", json=body, headers=auth()), "id")


def test_a_batch_item_with_a_look_alike_id_is_refused_alone(
    client: TestClient, auth: Headers
) -> None:
    items = [{"id": "\u0430lpha-1", **native_op()}, {"id": "alpha-1", **native_op(lon=1)}]
    r = client.post("/v1/operations:batch", json={"operations": items}, headers=auth())
    statuses = [x["status"] for x in r.json()["results"]]
    assert statuses == [400, 201]
