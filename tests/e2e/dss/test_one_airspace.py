"""One airspace: a native party and an F3548 USS see and respect each other's plans.

A native operation is an operational intent reference to USSs, managed by the service
under its own name: a query shows it, the key check wants its OVN, and a USS intent
over it is judged by the same rules a native operation would be, at the priority the
operator granted the USS.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.model.times import rfc3339 as text_time
from deconflict.settings import EqualPriorityPolicy, Settings
from deconflict.store.dss import DssStore
from deconflict.store.sql import SqlStore
from tests.conftest import Grant, Headers, disclosed_about, native_op
from tests.e2e.dss.conftest import OIR, SC, new_id

PARTY = "alpha"
OP_ID = "op-native-1"
USS = "uss9"
USS_BASE = "https://uss9.example.com/utm"


def at(minutes: float) -> str:
    """A time ``minutes`` from now: F3548 intents must lie within 30 days."""
    return text_time(datetime.now(UTC) + timedelta(minutes=minutes))


T0, T1 = at(10), at(40)
"""The native operation's window (``native_body()``)."""


def rfc3339(value: str) -> dict[str, str]:
    return {"value": value, "format": "RFC3339"}


def native_body(priority: int = 0, **extra: Any) -> dict[str, Any]:
    """``native_op()`` (a 0.01° square at (0, 0), 100-200 m) from ``T0`` to ``T1``."""
    body = native_op(priority=priority, **extra)
    body["volumes"][0].update(time_start=T0, time_end=T1)
    return body


def extent(
    lng: float = 0.005, lat: float = 0.005, start: str = T0, end: str = T1, half: float = 0.002
) -> dict[str, Any]:
    """A USS extent: a small square around (lng, lat), 100-200 m (inside the native
    operation by default)."""
    ring = [
        (lng - half, lat - half),
        (lng + half, lat - half),
        (lng + half, lat + half),
        (lng - half, lat + half),
    ]
    return {
        "volume": {
            "outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in ring]},
            "altitude_lower": {"value": 100, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 200, "reference": "W84", "units": "M"},
        },
        "time_start": rfc3339(start),
        "time_end": rfc3339(end),
    }


AREA = extent(half=0.02, start=at(0), end=at(120))


def plan_native(client: TestClient, auth: Headers, priority: int = 0, **extra: Any) -> None:
    r = client.put(
        f"/v1/operations/{OP_ID}", json=native_body(priority, **extra), headers=auth(PARTY)
    )
    assert r.status_code in (200, 201), r.text


def query(client: TestClient, auth: Headers) -> list[dict[str, Any]]:
    r = client.post(f"{OIR}/query", json={"area_of_interest": AREA}, headers=auth(USS, SC))
    assert r.status_code == 200, r.text
    refs: list[dict[str, Any]] = r.json()["operational_intent_references"]
    return refs


def the_native_ref(client: TestClient, auth: Headers) -> dict[str, Any]:
    [ref] = query(client, auth)
    return ref


def ovn_of(store: SqlStore, intent_id: str) -> str:
    """The native reference's OVN, as its manager (the service) knows it: a USS gets it
    from the service's USS API, which is not under test here."""
    found = DssStore(store).run(lambda s: s.native_intent(intent_id), write=False)
    assert found is not None
    return found[0].ovn


def put_intent(client: TestClient, auth: Headers, key: list[str], *extents: dict[str, Any]) -> Any:
    body = {
        "extents": list(extents) or [extent()],
        "state": "Accepted",
        "uss_base_url": USS_BASE,
        "key": key,
    }
    return client.put(f"{OIR}/{new_id()}", json=body, headers=auth(USS, SC))


def test_a_uss_query_shows_a_native_operation_as_a_reference_the_service_manages(
    client: TestClient, auth: Headers, settings: Settings
) -> None:
    plan_native(client, auth)
    ref = the_native_ref(client, auth)
    assert (ref["manager"], ref["uss_base_url"], ref["state"], ref["version"]) == (
        settings.dss.manager,
        settings.dss.base_url,
        "Accepted",
        1,
    )
    assert ref["uss_availability"] == "Normal"


def test_a_native_reference_has_an_f3548_id_of_its_own_and_never_names_the_party(
    client: TestClient, auth: Headers
) -> None:
    plan_native(client, auth)
    r = client.post(f"{OIR}/query", json={"area_of_interest": AREA}, headers=auth(USS, SC))
    [ref] = r.json()["operational_intent_references"]
    assert ref["id"] != OP_ID
    assert PARTY not in r.text and OP_ID not in r.text


def test_the_failure_of_a_double_booked_sky_ends_in_a_409_listing_the_native_operation(
    client: TestClient, auth: Headers
) -> None:
    plan_native(client, auth)
    ref = the_native_ref(client, auth)
    r = put_intent(client, auth, [])
    assert r.status_code == 409, r.text
    missing = r.json()["missing_operational_intents"]
    assert [m["id"] for m in missing] == [ref["id"]]
    assert missing[0]["ovn"] == "Available from USS"


def test_with_the_native_ovn_in_its_key_an_equal_priority_uss_is_refused_naming_the_rule(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    r = put_intent(client, auth, [ovn_of(store, intent_id)])
    assert r.status_code == 409, r.text
    assert r.json()["missing_operational_intents"] == []
    message = r.json()["message"]
    assert f"operational intent {intent_id} of priority 0" in message
    assert "equal priority" in message and "granted priority 0" in message
    assert "deconflict parties grant" in message
    assert PARTY not in message and OP_ID not in message


def test_a_higher_priority_native_operation_refuses_a_uss_intent_as_lower_priority(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    grant(PARTY, priority_max=5)
    plan_native(client, auth, priority=5)
    intent_id = the_native_ref(client, auth)["id"]
    r = put_intent(client, auth, [ovn_of(store, intent_id)])
    assert r.status_code == 409, r.text
    assert "of priority 5, which the service protects: lower priority" in r.json()["message"]


def test_a_uss_granted_a_higher_priority_is_accepted_over_a_native_operation(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    grant(USS, priority_max=1)
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    r = put_intent(client, auth, [ovn_of(store, intent_id)])
    assert r.status_code == 201, r.text


def test_a_uss_intent_in_the_native_operations_cells_but_not_in_it_needs_only_the_key(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    """The key asks the grid (the union of the extents meets the operation); the rules
    ask the exact test, which no extent meets here: one is there later, one is far."""
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    later = extent(start=at(50), end=at(80))
    far = extent(lng=0.2, lat=0.2)
    assert put_intent(client, auth, [], later, far).status_code == 409
    r = put_intent(client, auth, [ovn_of(store, intent_id)], later, far)
    assert r.status_code == 201, r.text


def test_a_native_operations_ovn_and_version_change_when_it_changes(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    before = ovn_of(store, intent_id)
    plan_native(client, auth, details={"note": "moved nothing, changed something"})
    ref = the_native_ref(client, auth)
    assert (ref["id"], ref["version"]) == (intent_id, 2)
    assert ovn_of(store, intent_id) != before
    assert put_intent(client, auth, [before]).status_code == 409


def test_ended_native_operations_are_not_shown(client: TestClient, auth: Headers) -> None:
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    r = client.post(f"/v1/operations/{OP_ID}/state", json={"state": "Ended"}, headers=auth(PARTY))
    assert r.status_code == 200, r.text
    assert query(client, auth) == []
    assert client.get(f"{OIR}/{intent_id}", headers=auth(USS, SC)).status_code == 404
    assert put_intent(client, auth, []).status_code == 201


def test_a_native_reference_is_read_by_its_f3548_id(client: TestClient, auth: Headers) -> None:
    plan_native(client, auth)
    ref = the_native_ref(client, auth)
    r = client.get(f"{OIR}/{ref['id']}", headers=auth(USS, SC))
    assert r.status_code == 200, r.text
    assert r.json()["operational_intent_reference"] == ref


def test_no_uss_writes_a_native_reference_not_even_one_named_as_the_service(
    client: TestClient, auth: Headers, store: SqlStore, settings: Settings
) -> None:
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    ovn = ovn_of(store, intent_id)
    body = {"extents": [extent()], "state": "Accepted", "uss_base_url": USS_BASE, "key": [ovn]}
    for uss in (USS, settings.dss.manager):
        path = f"{OIR}/{intent_id}/{ovn}"
        assert client.put(path, json=body, headers=auth(uss, SC)).status_code == 403
        assert client.delete(path, headers=auth(uss, SC)).status_code == 403


def test_a_uss_cannot_create_an_intent_with_a_native_operations_f3548_id(
    client: TestClient, auth: Headers
) -> None:
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    body = {"extents": [extent(lng=0.3)], "state": "Accepted", "uss_base_url": USS_BASE}
    r = client.put(f"{OIR}/{intent_id}", json=body, headers=auth(USS, SC))
    assert r.status_code == 409, r.text
    assert "already exists" in r.json()["message"]


def test_a_uss_intent_is_held_at_its_granted_priority_by_the_native_planner(
    client: TestClient, auth: Headers, grant: Grant
) -> None:
    grant(USS, priority_max=3)
    grant(PARTY, priority_max=2)
    assert put_intent(client, auth, []).status_code == 201
    r = client.put(f"/v1/operations/{OP_ID}", json=native_body(2), headers=auth(PARTY))
    assert r.status_code == 409, r.text


class TestAllowWithNotice:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"equal_priority": EqualPriorityPolicy.ALLOW_WITH_NOTICE})

    def test_an_equal_priority_uss_intent_is_accepted_when_the_policy_allows_it(
        self, client: TestClient, auth: Headers, store: SqlStore
    ) -> None:
        plan_native(client, auth)
        intent_id = the_native_ref(client, auth)["id"]
        r = put_intent(client, auth, [ovn_of(store, intent_id)])
        assert r.status_code == 201, r.text


def test_a_uss_shown_a_native_reference_is_a_disclosure_in_the_partys_record(
    client: TestClient, auth: Headers, store: SqlStore, settings: Settings
) -> None:
    plan_native(client, auth)
    intent_id = the_native_ref(client, auth)["id"]
    assert put_intent(client, auth, []).status_code == 409
    assert disclosed_about(store, PARTY) == [
        (USS, intent_id, "dss.query"),
        (USS, intent_id, "dss.conflict"),
    ]
    assert disclosed_about(store, settings.dss.manager) == []


def activate_over_native(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant, **change: Any
) -> Any:
    """A USS intent accepted first, a higher-priority native operation planned over it
    (the rules let it), then the USS's update to Activated with a complete key."""
    intent_id = new_id()
    body = {"extents": [extent()], "state": "Accepted", "uss_base_url": USS_BASE, "key": []}
    r = client.put(f"{OIR}/{intent_id}", json=body, headers=auth(USS, SC))
    assert r.status_code == 201, r.text
    ovn = r.json()["operational_intent_reference"]["ovn"]
    grant(PARTY, priority_max=5)
    plan_native(client, auth, priority=5)
    [native] = [ref for ref in query(client, auth) if ref["manager"] != USS]
    body |= {
        "state": "Activated",
        "key": [ovn_of(store, native["id"])],
        "new_subscription": {"uss_base_url": USS_BASE},
        **change,
    }
    return client.put(f"{OIR}/{intent_id}/{ovn}", json=body, headers=auth(USS, SC))


def test_a_uss_intent_overlapped_since_by_a_native_operation_may_still_activate(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    r = activate_over_native(client, auth, store, grant)
    assert r.status_code == 200, r.text


def test_a_uss_intent_overlapped_since_may_not_move_its_volumes_into_the_native_one(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    r = activate_over_native(client, auth, store, grant, extents=[extent(half=0.003)])
    assert r.status_code == 409, r.text
    assert "lower priority" in r.json()["message"]
