"""Leaks found by an adversarial review of the read paths (issue 8).

Each test is one way beta could learn of alpha's operation or constraint more than the
disclosure policy allows, or be shown it without the showing reaching alpha's audit
record.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from deconflict.store.sql import SqlStore
from tests.conftest import Grant, Headers, disclosures_about
from tests.e2e.access.conftest import plan
from tests.e2e.dss.conftest import OIR, SUBS
from tests.e2e.dss.conftest import volume4d as dss_volume


def disclosed_about(store: SqlStore, party: str) -> list[tuple[str, str, str, str]]:
    """``(actor, object_kind, object_id, via)`` of each disclosure about ``party``."""
    return [
        (e.actor, e.object_kind, e.object_id, e.detail["via"])
        for e in disclosures_about(store, party)
    ]


def two_volumes() -> dict[str, Any]:
    """alpha's operation: a first volume far away, a second one at the origin."""
    far = plan(lon=5.0)["volumes"][0]
    here = plan()["volumes"][0]
    return plan(volumes=[far, here])


def test_a_dry_run_under_another_partys_operation_id_is_refused_like_a_plan(
    client: TestClient, auth: Headers
) -> None:
    # The dry run ignores the stored operation with its own id; under alpha's id it
    # would ignore alpha's operation, and the vanished conflict would tell beta which
    # operation bears that id.
    assert client.put("/v1/operations/a1", json=plan(), headers=auth("alpha")).status_code == 201
    r = client.post(
        "/v1/operations:check", json={"id": "a1", **plan(lon=0.005)}, headers=auth("beta")
    )
    assert r.status_code == 403
    put = client.put("/v1/operations/a1", json=plan(lon=0.005), headers=auth("beta"))
    assert put.status_code == r.status_code


def test_a_refusal_does_not_number_the_other_partys_volumes(
    client: TestClient, auth: Headers
) -> None:
    assert client.put("/v1/operations/a1", json=two_volumes(), headers=auth("alpha")).is_success
    r = client.put("/v1/operations/b1", json=plan(lon=0.005), headers=auth("beta"))
    assert r.status_code == 409
    [overlap] = r.json()["conflicts"][0]["overlaps"]
    assert overlap["volume"] == 0 and "other_volume" not in overlap


def test_the_consoles_standing_conflicts_are_recorded_for_the_other_side(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    grant("beta", priority_max=5)
    client.put("/v1/operations/a1", json=plan(), headers=auth("alpha"))
    client.put("/v1/operations/b1", json=plan(lon=0.005, priority=5), headers=auth("beta"))
    before = disclosed_about(store, "beta")
    r = client.get("/v1/console/conflicts", headers=auth("alpha"))
    assert r.status_code == 200 and r.json()["conflicts"]
    assert disclosed_about(store, "beta")[len(before) :] == [
        ("alpha", "operation", "b1", "console")
    ]


def test_reading_another_partys_constraint_is_recorded_for_its_owner(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    no_fly = {"type": "no_fly", "volumes": plan()["volumes"]}
    assert client.put("/v1/constraints/base", json=no_fly, headers=auth("alpha")).is_success
    client.get("/v1/constraints", headers=auth("alpha"))
    client.get("/v1/constraints", headers=auth("beta"))
    client.get("/v1/constraints/base", headers=auth("beta"))
    assert disclosed_about(store, "alpha") == [
        ("beta", "constraint", "base", "list"),
        ("beta", "constraint", "base", "get"),
    ]


def test_listing_zones_by_another_party_shows_only_zones_the_caller_sees_in_full(
    client: TestClient, auth: Headers
) -> None:
    # A zone's reference hides whom its sectors go to; filtering by a party must not
    # tell beta which zones assign gamma a sector.
    ops = auth("ops", "deconflict.admin")
    ring = plan()["volumes"][0]["geometry"]
    when = {"valid_start": "2030-07-01T10:00:00Z", "valid_end": "2030-07-01T11:00:00Z"}
    to_gamma = {"sectors": [{"geometry": ring, "party": "gamma"}], **when}
    assert client.put("/v1/zones/z1", json=to_gamma, headers=ops).is_success
    r = client.get("/v1/zones", params={"party": "gamma"}, headers=auth("beta"))
    assert r.status_code == 200 and r.json()["zones"] == []
    assert [z["id"] for z in client.get("/v1/zones", headers=auth("beta")).json()["zones"]] == [
        "z1"
    ]
    seen = client.get("/v1/zones", params={"party": "gamma"}, headers=ops).json()["zones"]
    assert [z["id"] for z in seen] == ["z1"]


USS = ("utm.strategic_coordination", "utm.constraint_management", "utm.constraint_processing")


def f3548_intent(client: TestClient, auth: Headers, uss: str) -> str:
    intent_id = str(uuid.uuid4())
    body = {
        "extents": [dss_volume()],
        "state": "Accepted",
        "uss_base_url": f"https://{uss}.example.com",
        "key": [],
    }
    r = client.put(f"{OIR}/{intent_id}", json=body, headers=auth(uss, *USS))
    assert r.status_code == 201, r.text
    return intent_id


def test_references_shown_by_a_subscription_are_recorded_for_their_manager(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    intent_id = f3548_intent(client, auth, "uss-alpha")
    body = {
        "extents": dss_volume(),
        "uss_base_url": "https://uss-beta.example.com",
        "notify_for_operational_intents": True,
        "notify_for_constraints": False,
    }
    r = client.put(f"{SUBS}/{uuid.uuid4()}", json=body, headers=auth("uss-beta", *USS))
    assert [x["id"] for x in r.json()["operational_intent_references"]] == [intent_id]
    assert disclosed_about(store, "uss-alpha") == [
        ("uss-beta", "operational_intent", intent_id, "dss.subscription")
    ]


def test_references_missing_from_a_key_are_recorded_for_their_manager(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    intent_id = f3548_intent(client, auth, "uss-alpha")
    body = {
        "extents": [dss_volume()],
        "state": "Accepted",
        "uss_base_url": "https://uss-beta.example.com",
        "key": [],
    }
    r = client.put(f"{OIR}/{uuid.uuid4()}", json=body, headers=auth("uss-beta", *USS))
    assert r.status_code == 409
    assert [x["id"] for x in r.json()["missing_operational_intents"]] == [intent_id]
    assert disclosed_about(store, "uss-alpha") == [
        ("uss-beta", "operational_intent", intent_id, "dss.conflict")
    ]
