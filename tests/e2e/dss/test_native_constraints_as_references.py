"""Native restricted and no-fly constraints as F3548 constraint references, through the app.

The service is the USS of its native parties' constraints: a USS's constraint query
shows them with the service as manager, a USS whose subscription processes constraints
must hold their OVNs in its key, and ``GET /uss/v1/constraints/{id}`` serves their
details (never the owner) to learn them. An advisory constraint is not shown.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from deconflict.dss.records import NO_OVN_PHRASE
from deconflict.model.times import rfc3339
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, disclosures_about
from tests.e2e.dss.conftest import CP, CR, OIR, SC, at, intent_body, new_id, square, volume4d

OWNER = "army-cell"
CONSTRAINT_ID = "nfz-ridge-7"
SECRET_NAME = "ridge recce exclusion"
USS = "uss9"
PLAN = "deconflict.plan"
DETAILS = "/uss/v1/constraints"


def native_constraint(kind: str = "no_fly", hi: float = 500.0) -> dict[str, Any]:
    """A 0.01° square at (7, 46), 0-``hi`` m, from 10 to 70 minutes from now."""
    ring = [[6.995, 45.995], [7.005, 45.995], [7.005, 46.005], [6.995, 46.005], [6.995, 45.995]]
    return {
        "type": kind,
        "name": SECRET_NAME,
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 0.0,
                "altitude_upper_m": hi,
                "time_start": rfc3339(at(10)),
                "time_end": rfc3339(at(70)),
            }
        ],
    }


def put_native(client: TestClient, auth: Headers, kind: str = "no_fly", hi: float = 500.0) -> None:
    r = client.put(
        f"/v1/constraints/{CONSTRAINT_ID}",
        json=native_constraint(kind, hi),
        headers=auth(OWNER, PLAN),
    )
    assert r.status_code in (200, 201), r.text


def query(client: TestClient, auth: Headers) -> list[dict[str, Any]]:
    area = {"area_of_interest": volume4d(square(), start=0, end=90)}
    r = client.post(f"{CR}/query", json=area, headers=auth(USS, CP))
    assert r.status_code == 200, r.text
    refs: list[dict[str, Any]] = r.json()["constraint_references"]
    return refs


def the_reference(client: TestClient, auth: Headers) -> dict[str, Any]:
    [ref] = query(client, auth)
    return ref


def test_a_native_no_fly_constraint_appears_in_a_uss_constraint_query(
    client: TestClient, auth: Headers, settings: Settings
) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)
    assert ref["manager"] == settings.dss.manager
    assert ref["uss_base_url"] == settings.dss.base_url
    assert ref["ovn"] == NO_OVN_PHRASE and ref["version"] == 1
    assert ref["id"] != CONSTRAINT_ID


def test_a_uss_processing_constraints_without_its_ovn_gets_409_listing_it(
    client: TestClient, auth: Headers
) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)
    body = intent_body(
        volume4d(square(), start=20, end=40),
        new_subscription={
            "uss_base_url": "https://uss.example.com",
            "notify_for_constraints": True,
        },
    )
    r = client.put(f"{OIR}/{new_id()}", json=body, headers=auth(USS, SC))
    assert r.status_code == 409, r.text
    assert [c["id"] for c in r.json()["missing_constraints"]] == [ref["id"]]


def test_the_details_give_volumes_and_the_ovn_and_no_owner(
    client: TestClient, auth: Headers, settings: Settings
) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)
    r = client.get(f"{DETAILS}/{ref['id']}", headers=auth(USS, CP))
    assert r.status_code == 200, r.text
    got = r.json()["constraint"]
    assert got["reference"]["id"] == ref["id"]
    assert got["reference"]["manager"] == settings.dss.manager
    assert got["reference"]["ovn"] != NO_OVN_PHRASE and 16 <= len(got["reference"]["ovn"]) <= 128
    assert got["details"]["type"].endswith("no_fly")
    [volume] = got["details"]["volumes"]
    assert volume["volume"]["altitude_upper"]["value"] == 500
    for private in (OWNER, CONSTRAINT_ID, SECRET_NAME):
        assert private not in r.text


def test_the_ovn_from_the_details_completes_the_key(client: TestClient, auth: Headers) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)
    ovn = client.get(f"{DETAILS}/{ref['id']}", headers=auth(USS, CP)).json()["constraint"][
        "reference"
    ]["ovn"]
    body = intent_body(
        volume4d(square(), start=20, end=40),
        key=[ovn],
        new_subscription={
            "uss_base_url": "https://uss.example.com",
            "notify_for_constraints": True,
        },
    )
    r = client.put(f"{OIR}/{new_id()}", json=body, headers=auth(USS, SC))
    assert r.status_code == 201, r.text


def test_each_details_read_is_a_disclosure_in_the_owners_record(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)
    assert client.get(f"{DETAILS}/{ref['id']}", headers=auth(USS, CP)).status_code == 200
    reads = [
        e for e in disclosures_about(store, OWNER) if e.detail["via"] == "uss.constraint_details"
    ]
    assert [(e.actor, e.object_kind, e.object_id) for e in reads] == [
        (USS, "constraint", CONSTRAINT_ID)
    ]


def test_a_query_showing_it_is_a_disclosure_in_the_owners_record(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)
    shown = [e for e in disclosures_about(store, OWNER) if e.detail.get("via") == "dss.query"]
    assert [(e.actor, e.object_kind, e.object_id) for e in shown] == [
        (USS, "constraint_reference", ref["id"])
    ]


def test_the_ovn_changes_when_the_constraint_changes(client: TestClient, auth: Headers) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)

    def ovn() -> str:
        r = client.get(f"{DETAILS}/{ref['id']}", headers=auth(USS, CP))
        value: str = r.json()["constraint"]["reference"]["ovn"]
        return value

    before = ovn()
    put_native(client, auth, hi=400.0)
    assert ovn() != before
    assert the_reference(client, auth)["version"] == 2


def test_a_uss_cannot_change_a_native_constraint(client: TestClient, auth: Headers) -> None:
    put_native(client, auth)
    ref = the_reference(client, auth)
    ovn = client.get(f"{DETAILS}/{ref['id']}", headers=auth(USS, CP)).json()["constraint"][
        "reference"
    ]["ovn"]
    r = client.delete(f"{CR}/{ref['id']}/{ovn}", headers=auth(USS, "utm.constraint_management"))
    assert r.status_code == 403, r.text


def test_an_advisory_constraint_is_not_shown(client: TestClient, auth: Headers) -> None:
    put_native(client, auth, kind="advisory")
    assert query(client, auth) == []


def test_an_unknown_id_is_404(client: TestClient, auth: Headers) -> None:
    r = client.get(f"{DETAILS}/{new_id()}", headers=auth(USS, CP))
    assert r.status_code == 404, r.text
