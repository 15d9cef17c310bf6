"""Native parties learn of USS plans near their operations, on their event stream.

A USS intent written through ``/dss/v1`` is seen by the DSS itself; one written
through another DSS reaches the service as the F3548 notification its USS POSTs to
``/uss/v1/operational_intents``. Either way each native party whose operation the
intent meets gets an event naming the intent, its manager and the overlap, and
nothing of its other operations.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Grant, Headers, catch_up
from tests.e2e.dss.conftest import CP, OIR, SC, new_id
from tests.e2e.dss.test_one_airspace import (
    OP_ID,
    PARTY,
    USS,
    USS_BASE,
    extent,
    native_body,
    ovn_of,
    plan_native,
    the_native_ref,
)

OTHER_OP = "op-native-far"
USS_INTENTS = "/uss/v1/operational_intents"


def events(client: TestClient, auth: Headers, party: str = PARTY) -> list[dict[str, Any]]:
    """The party's events so far: ``{"event": kind, "data": body}``."""
    return [{"event": e["event"], "data": e["data"]["data"]} for e in catch_up(client, auth(party))]


def uss_events(client: TestClient, auth: Headers, party: str = PARTY) -> list[dict[str, Any]]:
    return [e for e in events(client, auth, party) if e["event"].startswith("uss_intent.")]


def plan_over_native(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> tuple[str, str]:
    """``PARTY``'s operation at priority 0 and ``USS``, granted 1, planned over it with
    a complete key: (the USS intent's id, the OVN of its reference)."""
    grant(USS, priority_max=1)
    plan_native(client, auth)
    native_id = the_native_ref(client, auth)["id"]
    intent_id = new_id()
    body = {
        "extents": [extent()],
        "state": "Accepted",
        "uss_base_url": USS_BASE,
        "key": [ovn_of(store, native_id)],
    }
    r = client.put(f"{OIR}/{intent_id}", json=body, headers=auth(USS, SC))
    assert r.status_code == 201, r.text
    return intent_id, r.json()["operational_intent_reference"]["ovn"]


def test_a_uss_intent_over_a_native_operation_is_an_event_for_its_party(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant, settings: Settings
) -> None:
    intent_id, ovn = plan_over_native(client, auth, store, grant)
    [e] = uss_events(client, auth)
    assert e["event"] == "uss_intent.changed"
    body = e["data"]
    assert body["operational_intent_id"] == intent_id
    assert (body["manager"], body["state"], body["operation_id"]) == (USS, "Accepted", OP_ID)
    assert (body["verdict"], body["reason"]) == ("notice", "higher_priority")
    [overlap] = body["overlaps"]
    assert overlap["volume"] == 0 and overlap["altitude_lower_m"] == 100
    assert ovn not in str(body)
    # The console's layer shows it from the party's own log.
    [shown] = client.get("/v1/console/uss_plans", headers=auth()).json()["uss_plans"]
    assert (shown["kind"], shown["operational_intent_id"]) == ("uss_intent", intent_id)
    # The DSS answer lists the service as a subscriber, for the native operation there.
    r = client.get(f"{OIR}/{intent_id}", headers=auth(USS, SC))
    assert r.status_code == 200
    # ... and the deletion is an event too.
    r = client.delete(f"{OIR}/{intent_id}/{ovn}", headers=auth(USS, SC))
    assert r.status_code == 200, r.text
    assert any(s["uss_base_url"] == settings.dss.base_url for s in r.json()["subscribers"])
    gone = uss_events(client, auth)[-1]
    assert gone["event"] == "uss_intent.deleted"
    assert gone["data"]["operational_intent_id"] == intent_id
    assert gone["data"]["change"] == "deleted"
    assert client.get("/v1/console/uss_plans", headers=auth()).json()["uss_plans"] == []


def test_a_uss_intent_elsewhere_is_no_event(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    plan_native(client, auth)
    body = {
        "extents": [extent(lng=0.5, lat=0.5)],
        "state": "Accepted",
        "uss_base_url": USS_BASE,
        "key": [],
    }
    r = client.put(f"{OIR}/{new_id()}", json=body, headers=auth(USS, SC))
    assert r.status_code == 201, r.text
    assert r.json()["subscribers"] == []
    assert uss_events(client, auth) == []


def test_the_event_names_no_other_party_operation(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    r = client.put(f"/v1/operations/{OTHER_OP}", json=_moved(native_body(), 1.0), headers=auth())
    assert r.status_code in (200, 201), r.text
    plan_over_native(client, auth, store, grant)
    told = [
        e for e in events(client, auth) if e["event"] in ("uss_intent.changed", "conflict.notice")
    ]
    assert told and all(OTHER_OP not in str(e["data"]) for e in told)
    assert all(e["data"]["operation_id"] == OP_ID for e in told)


def test_a_lower_priority_native_operation_overlapped_is_told(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    intent_id, _ = plan_over_native(client, auth, store, grant)
    [notice] = [e for e in events(client, auth) if e["event"] == "conflict.notice"]
    body = notice["data"]
    assert (body["operation_id"], body["planned_by_you"]) == (OP_ID, False)
    assert (body["verdict"], body["reason"]) == ("notice", "higher_priority")
    assert (body["other_operational_intent_id"], body["other_manager"]) == (intent_id, USS)
    assert body["overlaps"]


def notification(intent_id: str, *extents: dict[str, Any], priority: int = 0) -> dict[str, Any]:
    """What a USS whose DSS is elsewhere POSTs to the service, a subscriber there."""
    reference = {
        "id": intent_id,
        "manager": "uss-far",
        "uss_availability": "Normal",
        "version": 1,
        "state": "Accepted",
        "ovn": "ovn-of-a-far-uss-intent-0001",
        "time_start": extents[0]["time_start"],
        "time_end": extents[0]["time_end"],
        "uss_base_url": "https://uss-far.example.com",
        "subscription_id": new_id(),
    }
    details = {"volumes": list(extents), "off_nominal_volumes": [], "priority": priority}
    return {
        "operational_intent_id": intent_id,
        "operational_intent": {"reference": reference, "details": details},
        "subscriptions": [{"subscription_id": new_id(), "notification_index": 3}],
    }


def test_a_received_uss_notification_becomes_a_party_event(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    grant("uss-far", priority_max=10)
    plan_native(client, auth)
    intent_id = new_id()
    r = client.post(
        USS_INTENTS, json=notification(intent_id, extent(), priority=5), headers=auth("uss-far", SC)
    )
    assert r.status_code == 204, r.text
    [e] = uss_events(client, auth)
    body = e["data"]
    assert (body["operational_intent_id"], body["manager"], body["via"]) == (
        intent_id,
        "uss-far",
        "uss",
    )
    assert (body["priority"], body["verdict"]) == (5, "notice")
    # Told once: the same notification again adds nothing.
    again = notification(intent_id, extent(), priority=5)
    assert client.post(USS_INTENTS, json=again, headers=auth("uss-far", SC)).status_code == 204
    assert len(uss_events(client, auth)) == 1
    # Without details it was deleted: the party told before is told it is gone.
    gone = {"operational_intent_id": intent_id, "subscriptions": again["subscriptions"]}
    assert client.post(USS_INTENTS, json=gone, headers=auth("uss-far", SC)).status_code == 204
    last = uss_events(client, auth)[-1]
    assert (last["event"], last["data"]["change"]) == ("uss_intent.deleted", "deleted")
    # A malformed body is a 400 naming the field.
    bad = notification(intent_id, extent())
    del bad["subscriptions"]
    r = client.post(USS_INTENTS, json=bad, headers=auth("uss-far", SC))
    assert r.status_code == 400 and "subscriptions" in r.json()["message"], r.text


def test_a_uss_notification_without_a_token_is_401(client: TestClient, auth: Headers) -> None:
    body = notification(new_id(), extent())
    assert client.post(USS_INTENTS, json=body).status_code == 401
    # ... and the wrong scope is a 403.
    assert client.post(USS_INTENTS, json=body, headers=auth("uss-far", CP)).status_code == 403
    constraint = {"constraint_id": new_id(), "subscriptions": body["subscriptions"]}
    assert client.post("/uss/v1/constraints", json=constraint).status_code == 401
    r = client.post("/uss/v1/constraints", json=constraint, headers=auth("uss-far", CP))
    assert r.status_code == 204, r.text


def _moved(body: dict[str, Any], by: float) -> dict[str, Any]:
    """``body`` with its volumes' outlines moved ``by`` degrees east and north."""
    for v in body["volumes"]:
        ring = v["geometry"]["coordinates"][0]
        v["geometry"]["coordinates"] = [[[x + by, y + by] for x, y in ring]]
    return body
