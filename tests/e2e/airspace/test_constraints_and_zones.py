"""``/v1/constraints`` and ``/v1/zones``: who may write, who sees what."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Headers

ADMIN = "deconflict.admin"
PLAN = "deconflict.plan"
READ = "deconflict.read"
RING = [[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]


def volume(ring: list[list[float]] = RING, lo: float = 0.0, hi: float = 500.0) -> dict[str, Any]:
    return {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": lo,
        "altitude_upper_m": hi,
        "time_start": "2026-07-01T12:00:00Z",
        "time_end": "2026-07-01T13:00:00Z",
    }


def restricted(**extra: Any) -> dict[str, Any]:
    return {
        "type": "restricted",
        "volumes": [volume()],
        "allowed_parties": ["medevac"],
        "allowed_min_priority": 50,
        **extra,
    }


def test_a_party_writes_its_own_constraints_only(client: TestClient, auth: Headers) -> None:
    r = client.put("/v1/constraints/ra", json=restricted(), headers=auth("alpha", PLAN))
    assert r.status_code == 201, r.text
    assert r.json()["owner"] == "alpha" and r.json()["version"] == 1
    r = client.put("/v1/constraints/ra", json=restricted(), headers=auth("bravo", PLAN))
    assert r.status_code == 403
    assert client.delete("/v1/constraints/ra", headers=auth("bravo", PLAN)).status_code == 403
    # The operator may change anyone's; the owner stays.
    r = client.put("/v1/constraints/ra", json=restricted(name="x"), headers=auth("ops", ADMIN))
    assert r.status_code == 200 and r.json()["owner"] == "alpha" and r.json()["version"] == 2
    # Read-only tokens write nothing; stale versions are refused.
    r = client.put("/v1/constraints/rb", json=restricted(), headers=auth("alpha", READ))
    assert r.status_code == 403
    stale = {**auth("alpha", PLAN), "If-Match": "1"}
    assert client.put("/v1/constraints/ra", json=restricted(), headers=stale).status_code == 409
    assert client.delete("/v1/constraints/ra", headers=auth("alpha", PLAN)).status_code == 200
    assert client.get("/v1/constraints/ra", headers=auth("alpha", READ)).status_code == 404


def test_others_see_references_of_constraints(client: TestClient, auth: Headers) -> None:
    client.put("/v1/constraints/ra", json=restricted(), headers=auth("alpha", PLAN))
    full = client.get("/v1/constraints/ra", headers=auth("alpha", READ)).json()
    assert full["allowed_parties"] == ["medevac"] and full["volumes"]
    assert client.get("/v1/constraints/ra", headers=auth("ops", ADMIN)).json()["volumes"]
    ref = client.get("/v1/constraints/ra", headers=auth("bravo", READ)).json()
    assert ref["reference"] is True and "volumes" not in ref and "allowed_parties" not in ref
    assert ref["allowed_for_you"] is False and ref["allowed_min_priority"] == 50
    assert ref["bbox"] == pytest.approx([0.0, 0.0, 0.01, 0.01], abs=1e-9)
    assert client.get("/v1/constraints/ra", headers=auth("medevac", READ)).json()["allowed_for_you"]
    listed = client.get("/v1/constraints?bbox=0.005,0.005,0.02,0.02", headers=auth("bravo", READ))
    assert [c["id"] for c in listed.json()["constraints"]] == ["ra"]
    far = client.get("/v1/constraints?bbox=5,5,5.1,5.1", headers=auth("bravo", READ))
    assert far.json()["constraints"] == []


def line_zone(**extra: Any) -> dict[str, Any]:
    return {
        "line": [[0.0, 0.0], [0.0, 0.1]],
        "width_m": 2000,
        "left_party": "alpha",
        "right_party": "bravo",
        "valid_start": "2026-07-01T06:00:00Z",
        "valid_end": "2026-07-01T18:00:00Z",
        **extra,
    }


def test_only_the_operator_defines_zones(client: TestClient, auth: Headers) -> None:
    r = client.put("/v1/zones/river", json=line_zone(), headers=auth("alpha", PLAN))
    assert r.status_code == 403
    r = client.put("/v1/zones/river", json=line_zone(), headers=auth("ops", ADMIN))
    assert r.status_code == 201, r.text
    assert [s["party"] for s in r.json()["sectors"]] == ["alpha", "bravo"]
    r = client.put("/v1/zones/river", json=line_zone(name="v2"), headers=auth("ops", ADMIN))
    assert r.status_code == 200 and r.json()["version"] == 2
    bad = line_zone(sectors=[])
    assert client.put("/v1/zones/x", json=bad, headers=auth("ops", ADMIN)).status_code == 400


def test_zones_in_full_for_their_parties_references_for_others(
    client: TestClient, auth: Headers
) -> None:
    client.put("/v1/zones/river", json=line_zone(), headers=auth("ops", ADMIN))
    assert client.get("/v1/zones/river", headers=auth("alpha", READ)).json()["sectors"]
    ref = client.get("/v1/zones/river", headers=auth("charlie", READ)).json()
    assert ref["reference"] is True and "sectors" not in ref
    history = client.get("/v1/zones/river/history", headers=auth("bravo", READ))
    assert [v["version"] for v in history.json()["versions"]] == [1]
    assert client.get("/v1/zones/river/history", headers=auth("charlie", READ)).status_code == 403
    mine = client.get("/v1/zones?party=me", headers=auth("bravo", READ)).json()["zones"]
    assert [z["id"] for z in mine] == ["river"]
    assert client.delete("/v1/zones/river", headers=auth("alpha", PLAN)).status_code == 403
    assert client.delete("/v1/zones/river", headers=auth("ops", ADMIN)).status_code == 200
    history = client.get("/v1/zones/river/history", headers=auth("bravo", READ)).json()
    assert [(v["version"], v["deleted"]) for v in history["versions"]] == [(1, False), (2, True)]


def test_zone_changes_reach_the_parties_event_streams(client: TestClient, auth: Headers) -> None:
    client.put("/v1/zones/river", json=line_zone(), headers=auth("ops", ADMIN))
    moved = line_zone(right_party="charlie")
    client.put("/v1/zones/river", json=moved, headers=auth("ops", ADMIN))
    seen: dict[str, list[str]] = {}
    for party in ("alpha", "bravo", "charlie", "delta"):
        r = client.get("/v1/events?follow=false", headers=auth(party, READ))
        assert r.status_code == 200
        lines = r.text.splitlines()
        seen[party] = [x.removeprefix("event: ") for x in lines if x.startswith("event:")]
    assert seen == {
        "alpha": ["zone.created", "zone.updated"],
        "bravo": ["zone.created", "zone.updated"],  # told it lost its sector
        "charlie": ["zone.updated"],
        "delta": [],
    }


def _events(client: TestClient, auth: Headers, party: str) -> list[tuple[str, Any]]:
    r = client.get("/v1/events?follow=false", headers=auth(party, READ))
    assert r.status_code == 200
    kinds = [x.removeprefix("event: ") for x in r.text.splitlines() if x.startswith("event:")]
    data = [
        json.loads(x.removeprefix("data: "))["data"]
        for x in r.text.splitlines()
        if x.startswith("data:")
    ]
    return list(zip(kinds, data, strict=True))


def test_a_new_no_fly_zone_tells_the_parties_with_operations_inside(
    client: TestClient, auth: Headers
) -> None:
    inside = [[0.002, 0.002], [0.008, 0.002], [0.008, 0.008], [0.002, 0.008], [0.002, 0.002]]
    r = client.put(
        "/v1/operations/b1", json={"volumes": [volume(inside, 100, 200)]}, headers=auth("bravo")
    )
    assert r.status_code == 201, r.text
    nfz = {"type": "no_fly", "volumes": [volume()]}
    assert (
        client.put("/v1/constraints/nfz", json=nfz, headers=auth("ops", ADMIN)).status_code == 201
    )
    assert client.delete("/v1/constraints/nfz", headers=auth("ops", ADMIN)).status_code == 200
    told = [(k, d) for k, d in _events(client, auth, "bravo") if k.startswith("constraint.")]
    assert [(k, d["constraint"], d["version"]) for k, d in told] == [
        ("constraint.created", "nfz", 1),
        ("constraint.deleted", "nfz", 2),
    ]
    (hit,) = told[0][1]["your_conflicts"]
    assert (hit["operation"], hit["verdict"]) == ("b1", "blocking")
    assert [k for k, _ in _events(client, auth, "charlie")] == []


def test_f3548_constraints_are_listed_and_enforced_but_changed_only_through_the_dss(
    client: TestClient, auth: Headers
) -> None:
    cid = str(uuid.uuid4())
    soon = datetime.now(UTC) + timedelta(minutes=5)
    extent = {
        "volume": {"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in RING[:4]]}},
        "time_start": {"value": soon.isoformat(), "format": "RFC3339"},
        "time_end": {"value": (soon + timedelta(hours=1)).isoformat(), "format": "RFC3339"},
    }
    cm = auth("uss-a", "utm.constraint_management")
    ref = {"extents": [extent], "uss_base_url": "https://uss-a.example.com"}
    assert (
        client.put(f"/dss/v1/constraint_references/{cid}", json=ref, headers=cm).status_code == 201
    )
    mine = client.get(f"/v1/constraints/{cid}", headers=auth("uss-a", READ)).json()
    assert (mine["type"], mine["owner"], mine["allowed_parties"]) == (
        "restricted",
        "uss-a",
        ["uss-a"],
    )
    planned = {
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [RING]},
                "altitude_lower_m": 100,
                "altitude_upper_m": 200,
                "time_start": (soon + timedelta(minutes=10)).isoformat(),
                "time_end": (soon + timedelta(minutes=20)).isoformat(),
            }
        ]
    }
    r = client.put("/v1/operations/b1", json=planned, headers=auth("bravo"))
    assert r.status_code == 409, r.text
    (hit,) = r.json()["constraint_conflicts"]
    assert (hit["constraint"], hit["type"], hit["reason"]) == (cid, "restricted", "restricted")
    for who in (auth("uss-a", PLAN), auth("ops", ADMIN)):
        r = client.put(f"/v1/constraints/{cid}", json=restricted(), headers=who)
        assert r.status_code == 403 and "/dss/v1/constraint_references" in r.json()["message"]
        assert client.delete(f"/v1/constraints/{cid}", headers=who).status_code == 403
