"""Through the HTTP API: changes and authentication failures leave audit entries."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.scopes import Scope
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings
from deconflict.store.audit import chain_pending, entries_about, verify_store
from deconflict.store.sql import SqlStore
from tests.conftest import Grant, Headers, native_op
from tests.e2e.dss.conftest import OIR, intent_body, new_id

ADMIN = "deconflict.admin"
PLAN = "deconflict.plan"


def restricted(**extra: Any) -> dict[str, Any]:
    ring = [[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]
    volume = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 0.0,
        "altitude_upper_m": 500.0,
        "time_start": "2030-07-01T12:00:00Z",
        "time_end": "2030-07-01T13:00:00Z",
    }
    return {"type": "restricted", "volumes": [volume], "allowed_parties": ["medevac"], **extra}


def line_zone(**extra: Any) -> dict[str, Any]:
    return {
        "line": [[0.0, 0.0], [0.0, 0.1]],
        "width_m": 2000,
        "left_party": "alpha",
        "right_party": "bravo",
        "valid_start": "2030-07-01T06:00:00Z",
        "valid_end": "2030-07-01T18:00:00Z",
        **extra,
    }


def _about(store: SqlStore, party: str) -> list[Any]:
    chain_pending(store)
    with store.session() as s:
        return list(entries_about(s.conn, party))


def _failures_about(client: TestClient, store: SqlStore, party: str) -> list[Any]:
    """The entries about ``party`` once the authentication failures counted so far are
    written (they are tallied per source and minute, and written when it ends)."""
    client.app.state.services.auth_failures.flush(everything=True)  # type: ignore[attr-defined]
    return _about(store, party)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_operation_created_through_the_native_api_is_logged(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    r = client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    assert r.status_code == 201
    (e,) = _about(store, "alpha")
    assert (e.entry.kind, e.entry.actor, e.entry.object_kind, e.entry.object_id) == (
        "change",
        "alpha",
        "operation",
        "op1",
    )
    assert e.entry.detail["change"] == "created"
    assert verify_store(store).ok


def test_a_refused_operation_leaves_no_change_entry(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    grant("alpha", priority_max=5)
    client.put("/v1/operations/a1", json=native_op(priority=5), headers=auth("alpha"))
    r = client.put("/v1/operations/b1", json=native_op(priority=0), headers=auth("beta"))
    assert r.status_code == 409
    assert _about(store, "beta") == []


def test_a_deleted_operation_is_logged(client: TestClient, auth: Headers, store: SqlStore) -> None:
    client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    assert client.delete("/v1/operations/op1", headers=auth("alpha")).status_code in (200, 204)
    assert [e.entry.detail["change"] for e in _about(store, "alpha")] == ["created", "deleted"]


def test_an_intent_created_through_the_dss_api_is_logged(
    client: TestClient, settings: Settings, store: SqlStore
) -> None:
    key = load_or_create_signing_key(settings.data_dir)
    token = mint_token(
        key,
        sub="uss1",
        scopes=[Scope.STRATEGIC_COORDINATION.value],
        audience="localhost",
        issuer=settings.auth.issuer,
    )
    intent = new_id()
    r = client.put(f"{OIR}/{intent}", json=intent_body(), headers=_bearer(token))
    assert r.status_code == 201, r.text
    (e,) = _about(store, "uss1")
    assert (e.entry.object_kind, e.entry.object_id) == ("operational_intent", intent)


def test_a_token_signed_by_an_unknown_key_is_logged_under_the_sub_it_claims(
    client: TestClient, store: SqlStore
) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = mint_token(
        forger, sub="alpha", scopes=["deconflict.plan"], audience="localhost", issuer="test"
    )
    r = client.get("/v1/operations", headers=_bearer(token))
    assert r.status_code == 401
    (e,) = _failures_about(client, store, "alpha")
    assert (e.entry.kind, e.entry.actor, e.entry.object_id) == (
        "auth_failure",
        "anonymous",
        "/v1/operations",
    )
    assert e.entry.detail["claimed_sub"] == "alpha"
    assert e.entry.detail["client"] == "testclient"
    assert token not in str(e.entry.detail)
    assert token.split(".")[2] not in str(e.entry.detail)


def expired_token(settings: Settings, sub: str) -> str:
    """A token of the service's own key for ``sub``, expired an hour ago."""
    key = load_or_create_signing_key(settings.data_dir)
    two_hours_ago = time.time() - 7200
    return mint_token(
        key,
        sub=sub,
        scopes=["deconflict.read"],
        audience="localhost",
        issuer=settings.auth.issuer,
        now=two_hours_ago,
    )


def test_an_expired_token_is_logged_with_the_reason(
    client: TestClient, settings: Settings, store: SqlStore
) -> None:
    token = expired_token(settings, "beta")
    assert client.get("/v1/operations", headers=_bearer(token)).status_code == 401
    (e,) = _failures_about(client, store, "beta")
    assert "expired" in e.entry.detail["reason"]


def test_a_request_without_a_token_is_logged_with_no_subject(
    client: TestClient, store: SqlStore
) -> None:
    assert client.get("/v1/operations").status_code == 401
    (e,) = _failures_about(client, store, "")
    assert e.entry.kind == "auth_failure" and e.entry.detail["claimed_sub"] is None


def test_a_valid_token_lacking_a_scope_is_not_an_authentication_failure(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    r = client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha", "deconflict.read"))
    assert r.status_code == 403
    assert _failures_about(client, store, "alpha") == []


def _changes(store: SqlStore, party: str, object_kind: str) -> list[tuple[str, str, Any]]:
    return [
        (e.entry.actor, e.entry.object_id, e.entry.detail["change"])
        for e in _about(store, party)
        if e.entry.object_kind == object_kind
    ]


def test_a_constraint_changed_by_the_operator_is_logged_for_its_owner(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    ra = restricted()
    assert client.put("/v1/constraints/ra", json=ra, headers=auth("alpha", PLAN)).status_code == 201
    r = client.put("/v1/constraints/ra", json={**ra, "name": "x"}, headers=auth("ops", ADMIN))
    assert r.status_code == 200
    assert client.delete("/v1/constraints/ra", headers=auth("alpha", PLAN)).status_code == 200
    assert _changes(store, "alpha", "constraint") == [
        ("alpha", "ra", "created"),
        ("ops", "ra", "updated"),
        ("alpha", "ra", "deleted"),
    ]


def test_a_zone_change_is_logged_for_every_party_it_concerns(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    client.put("/v1/zones/river", json=line_zone(), headers=auth("ops", ADMIN))
    moved = line_zone(right_party="charlie")
    client.put("/v1/zones/river", json=moved, headers=auth("ops", ADMIN))
    assert _changes(store, "bravo", "zone") == [
        ("ops", "river", "created"),
        ("ops", "river", "updated"),
    ]
    assert _changes(store, "charlie", "zone") == [("ops", "river", "updated")]
    assert _changes(store, "delta", "zone") == []


def test_a_websocket_with_a_bad_token_is_logged_like_a_request(
    client: TestClient, settings: Settings, store: SqlStore
) -> None:
    token = expired_token(settings, "gamma")
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(f"/v1/stream?access_token={token}") as ws,
    ):
        ws.receive_text()
    (e,) = _failures_about(client, store, "gamma")
    assert (e.entry.kind, e.entry.object_id) == ("auth_failure", "/v1/stream")


def test_a_track_websocket_with_a_bad_token_is_logged_too(
    client: TestClient, store: SqlStore
) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = mint_token(
        forger, sub="delta", scopes=["deconflict.track"], audience="localhost", issuer="test"
    )
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(f"/v1/stream/tracks?access_token={token}") as ws,
    ):
        ws.receive_text()
    (e,) = _failures_about(client, store, "delta")
    assert (e.entry.kind, e.entry.object_id) == ("auth_failure", "/v1/stream/tracks")
