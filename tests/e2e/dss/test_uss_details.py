"""The service as the USS of its native parties: ``GET /uss/v1/...`` through the app.

A USS finds a native operation's reference in the DSS and asks the ``uss_base_url`` on
it (the service) for the details, as F3548 has it do for any intent. It gets where,
when, state and priority, and the OVN its key needs; never who flies it, the party's
own id for it, its call sign or its details. Each read is in the owner's audit record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.dss.records import NO_OVN_PHRASE
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, disclosures_about, native_op
from tests.e2e.dss.conftest import CMSA, CP, OIR, SC, circle, intent_body, new_id, volume4d

PARTY = "army-cell"
OP_ID = "op-ridge-7"
CALL_SIGN = "VIPER11"
SECRET = "ridge-recce-at-dawn"
USS = "uss9"
DETAILS = "/uss/v1/operational_intents"


def rfc3339(value: str) -> dict[str, str]:
    return {"value": value, "format": "RFC3339"}


AREA = {
    "volume": {
        "outline_polygon": {
            "vertices": [
                {"lng": -0.01, "lat": -0.01},
                {"lng": 0.02, "lat": -0.01},
                {"lng": 0.02, "lat": 0.02},
                {"lng": -0.01, "lat": 0.02},
            ]
        },
        "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
        "altitude_upper": {"value": 500, "reference": "W84", "units": "M"},
    },
    "time_start": rfc3339("2030-07-01T09:00:00Z"),
    "time_end": rfc3339("2030-07-01T11:00:00Z"),
}
"""Around ``native_op()``: its 0.01° square at (0, 0), 100-200 m, 10:00-10:30Z."""


@pytest.fixture
def intent_id(client: TestClient, auth: Headers, grant: Any) -> str:
    """The F3548 id of the party's operation, found as a USS finds it: a DSS query."""
    grant(PARTY, priority_max=7)
    body = native_op(priority=7, details={"call_sign": CALL_SIGN, "mission": SECRET})
    r = client.put(f"/v1/operations/{OP_ID}", json=body, headers=auth(PARTY))
    assert r.status_code == 201, r.text
    r = client.post(f"{OIR}/query", json={"area_of_interest": AREA}, headers=auth(USS, SC))
    assert r.status_code == 200, r.text
    [ref] = r.json()["operational_intent_references"]
    found: str = ref["id"]
    return found


def details(client: TestClient, auth: Headers, intent_id: str, *scopes: str) -> Any:
    return client.get(f"{DETAILS}/{intent_id}", headers=auth(USS, *(scopes or (SC,))))


def test_a_uss_reads_where_when_state_and_priority_with_the_ovn(
    client: TestClient, auth: Headers, intent_id: str, settings: Settings
) -> None:
    r = details(client, auth, intent_id)
    assert r.status_code == 200, r.text
    intent = r.json()["operational_intent"]
    ref, got = intent["reference"], intent["details"]
    assert (ref["id"], ref["state"], ref["version"]) == (intent_id, "Accepted", 1)
    assert ref["manager"] == settings.dss.manager
    assert ref["uss_base_url"] == settings.dss.base_url
    assert ref["ovn"] != NO_OVN_PHRASE and 16 <= len(ref["ovn"]) <= 128
    assert (ref["time_start"]["value"], ref["time_end"]["value"]) == (
        "2030-07-01T10:00:00Z",
        "2030-07-01T10:30:00Z",
    )
    assert got["priority"] == 7 and got["off_nominal_volumes"] == []
    [volume] = got["volumes"]
    corners = {(p["lng"], p["lat"]) for p in volume["volume"]["outline_polygon"]["vertices"]}
    assert corners == {(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01)}
    assert volume["volume"]["altitude_lower"] == {"value": 100, "reference": "W84", "units": "M"}
    assert volume["volume"]["altitude_upper"]["value"] == 200
    assert volume["time_start"]["value"] == "2030-07-01T10:00:00Z"


def test_the_answer_names_neither_the_party_nor_its_id_nor_its_details(
    client: TestClient, auth: Headers, intent_id: str
) -> None:
    text = details(client, auth, intent_id).text
    for private in (PARTY, OP_ID, CALL_SIGN, SECRET, "call_sign", "mission"):
        assert private not in text


def test_each_read_is_a_disclosure_in_the_owners_audit_record(
    client: TestClient, auth: Headers, intent_id: str, store: SqlStore
) -> None:
    assert details(client, auth, intent_id).status_code == 200
    assert details(client, auth, intent_id).status_code == 200
    reads = [e for e in disclosures_about(store, PARTY) if e.detail["via"] == "uss.details"]
    assert [(e.actor, e.object_kind, e.object_id) for e in reads] == [
        (USS, "operation", OP_ID),
        (USS, "operation", OP_ID),
    ]
    assert reads[0].detail["intent_id"] == intent_id
    assert set(reads[0].detail["shown"]) >= {"volumes", "state", "priority"}


def test_a_token_without_strategic_coordination_is_refused(
    client: TestClient, auth: Headers, intent_id: str, store: SqlStore
) -> None:
    assert details(client, auth, intent_id, CP, CMSA).status_code == 403
    assert client.get(f"{DETAILS}/{intent_id}").status_code == 401
    assert [e for e in disclosures_about(store, PARTY) if e.detail["via"] == "uss.details"] == []


def test_unknown_ids_ended_operations_and_uss_intents_are_not_found_here(
    client: TestClient, auth: Headers, intent_id: str
) -> None:
    assert details(client, auth, new_id()).status_code == 404
    assert details(client, auth, "not-a-uuid").status_code == 400
    # A USS's own intent: that USS serves its details, not the service.
    theirs = new_id()
    body = intent_body(volume4d(circle(10.0, 46.0)), base="https://uss9.example.com")
    r = client.put(f"{OIR}/{theirs}", json=body, headers=auth(USS, SC))
    assert r.status_code == 201, r.text
    r = details(client, auth, theirs)
    assert r.status_code == 404 and "message" in r.json()
    # Ended: gone in F3548, as a deleted reference is.
    r = client.post(f"/v1/operations/{OP_ID}/state", json={"state": "Ended"}, headers=auth(PARTY))
    assert r.status_code == 200, r.text
    assert details(client, auth, intent_id).status_code == 404


def test_without_live_tracks_telemetry_is_the_standards_no_telemetry(
    client: TestClient, auth: Headers, intent_id: str
) -> None:
    path = f"{DETAILS}/{intent_id}/telemetry"
    assert client.get(path, headers=auth(USS, SC)).status_code == 403
    r = client.get(path, headers=auth(USS, CMSA))
    assert r.status_code == 412 and "message" in r.json()
    assert client.get(f"{DETAILS}/{new_id()}/telemetry", headers=auth(USS, CMSA)).status_code == 404


def test_with_a_live_track_telemetry_is_its_latest_position(
    client: TestClient, auth: Headers, intent_id: str, store: SqlStore
) -> None:
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    report = {
        "id": CALL_SIGN,
        "time": now,
        "lat": 0.005,
        "lon": 0.005,
        "alt_m": 150.0,
        "gs_mps": 20.0,
        "track_deg": 90.0,
        "vs_mps": 0.0,
        "operation": OP_ID,
    }
    tracker = auth(PARTY, "deconflict.track")
    r = client.post("/v1/tracks", json={"reports": [report]}, headers=tracker)
    assert r.status_code == 200, r.text
    r = client.get(f"{DETAILS}/{intent_id}/telemetry", headers=auth(USS, CMSA))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["operational_intent_id"] == intent_id
    telemetry = answer["telemetry"]
    assert telemetry["time_measured"]["value"] == now
    position = telemetry["position"]
    assert (position["latitude"], position["longitude"]) == (0.005, 0.005)
    assert position["altitude"] == {"value": 150.0, "reference": "W84", "units": "M"}
    assert telemetry["velocity"]["speed"] == pytest.approx(20.0)
    assert telemetry["velocity"]["track"] == pytest.approx(90.0)
    for private in (PARTY, OP_ID, CALL_SIGN):
        assert private not in r.text
    reads = [e for e in disclosures_about(store, PARTY) if e.detail["via"] == "uss.telemetry"]
    assert [(e.actor, e.object_id) for e in reads] == [(USS, OP_ID)]


def test_constraint_details_are_not_served_yet(client: TestClient, auth: Headers) -> None:
    r = client.get(f"/uss/v1/constraints/{new_id()}", headers=auth(USS, CP))
    assert r.status_code == 404 and "message" in r.json()
    assert client.get(f"/uss/v1/constraints/{new_id()}", headers=auth(USS, SC)).status_code == 403
