"""The OpenAPI document describes what the native API really sends (issue 18).

The routes build their JSON with ``api/wire.py`` and ``tactical/wire_forms.py`` and send
it without passing through the documented models, so here real answers, made to carry
every optional field, are checked against the served document's schemas with a JSON
Schema validator: a field renamed on one side and not the other fails here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from deconflict.access.agreements import Agreement, parse_grants
from deconflict.api.app import create_app
from deconflict.api.tactical import live_picture
from deconflict.settings import Settings
from deconflict.store.sharing import save_agreement
from deconflict.store.sql import SqlStore, open_store
from tests.conftest import Grant, Headers, catch_up, native_op
from tests.e2e.dss import test_one_airspace as airspace
from tests.e2e.dss.conftest import CP, new_id
from tests.e2e.dss.test_uss_plans_reach_parties import plan_over_native
from tests.tactical.helpers import T0, FakeClock, config

Conforms = Callable[..., None]
OPERATOR = ("deconflict.admin", "deconflict.read", "deconflict.plan")


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The served document, built once: it depends on the code, not on the store."""
    data = tmp_path_factory.mktemp("openapi")
    store = open_store(f"sqlite:///{data / 'doc.db'}")
    with TestClient(create_app(Settings(data_dir=data), store)) as c:
        yield c.get("/openapi.json").json()
    store.close()


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    root = {**schema, "components": doc["components"]}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


@pytest.fixture
def conforms(doc: dict[str, Any]) -> Conforms:
    def check(r: httpx.Response, path: str, method: str, media: str = "application/json") -> None:
        answer = doc["paths"][path][method]["responses"][str(r.status_code)]
        schema = answer["content"][media]["schema"]
        assert schema, f"{method} {path} {r.status_code}: empty schema"
        errors = [str(e) for e in validator(doc, schema).iter_errors(r.json())]
        assert errors == [], f"{method} {path} {r.status_code}: {r.text}"

    return check


def share(store: SqlStore, a: str, b: str, *grants: str) -> None:
    agreement = Agreement(a, b, parse_grants(grants))
    store.run(lambda s: save_agreement(s, agreement, by="operator"), write=True)


def with_circle(lon: float = 0.0, **extra: Any) -> dict[str, Any]:
    body = native_op(lon, **extra)
    circle = {**body["volumes"][0], "geometry": {"type": "Point", "coordinates": [lon, 0.0]}}
    body["volumes"].append({**circle, "radius_m": 300.0})
    return body


OP = "/v1/operations/{op_id}"
NATIVE = ("/v1/operations", "/v1/constraints", "/v1/zones", "/v1/messages", "/v1/tracks")
SERVICE = ("/v1/console", "/ready", "/healthy")


def test_an_operations_life_matches_the_documented_answers(
    client: TestClient, auth: Headers, conforms: Conforms
) -> None:
    body = with_circle(details={"call_sign": "EAGLE1"})
    created = client.put("/v1/operations/a1", json=body, headers=auth())
    assert created.status_code == 201
    conforms(created, OP, "put")
    replaced = client.put("/v1/operations/a1", json=body, headers=auth())
    assert replaced.status_code == 200
    conforms(replaced, OP, "put")
    conforms(client.get("/v1/operations/a1", headers=auth()), OP, "get")
    conforms(client.get("/v1/operations", headers=auth()), "/v1/operations", "get")
    geojson = client.get("/v1/operations", headers={**auth(), "Accept": "application/geo+json"})
    conforms(geojson, "/v1/operations", "get", "application/geo+json")
    conforms(client.delete("/v1/operations/a1", headers=auth()), OP, "delete")


def test_what_another_party_is_shown_matches_the_documented_answers(
    client: TestClient, auth: Headers, conforms: Conforms, store: SqlStore
) -> None:
    body = with_circle(details={"call_sign": "EAGLE1"})
    assert client.put("/v1/operations/a1", json=body, headers=auth("alpha")).status_code == 201
    share(store, "alpha", "beta", "operation_ids", "details")
    blocked = client.put("/v1/operations/b1", json=native_op(0.005), headers=auth("beta"))
    assert blocked.status_code == 409
    assert blocked.json()["conflicts"][0]["other_operation"] == "a1"
    conforms(blocked, OP, "put")
    seen = client.get("/v1/operations/a1", headers=auth("beta"))
    assert seen.json()["call_sign"] == "EAGLE1"
    conforms(seen, OP, "get")
    conforms(client.get("/v1/operations", headers=auth("beta")), "/v1/operations", "get")


def test_a_refusal_by_a_constraint_matches_the_documented_answer(
    client: TestClient, auth: Headers, conforms: Conforms
) -> None:
    zone = {"type": "no_fly", "volumes": native_op(5.0)["volumes"]}
    r = client.put("/v1/constraints/c1", json=zone, headers=auth("operator", *OPERATOR))
    assert r.status_code == 201, r.text
    blocked = client.put("/v1/operations/b2", json=native_op(5.0), headers=auth("beta"))
    assert blocked.status_code == 409 and blocked.json()["constraint_conflicts"]
    conforms(blocked, OP, "put")


def test_a_dry_run_a_batch_and_state_changes_match_the_documented_answers(
    client: TestClient, auth: Headers, conforms: Conforms, grant: Grant
) -> None:
    grant("beta", priority_max=5)
    assert client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha")).is_success
    check = client.post(
        "/v1/operations:check", json=native_op(0.005, priority=5), headers=auth("beta")
    )
    assert check.json()["accepted"] and check.json()["conflicts"]
    conforms(check, "/v1/operations:check", "post")
    bad = native_op(3.0)
    bad["volumes"][0]["geometry"]["coordinates"] = [[[3, 0], [3.1, 0], [3, 0]]]
    items = [
        {"id": "b1", **native_op(1.0)},
        {"id": "b2", **native_op(0.005)},
        {"id": "b3", **bad},
    ]
    batch = client.post("/v1/operations:batch", json={"operations": items}, headers=auth("beta"))
    assert [r["status"] for r in batch.json()["results"]] == [201, 409, 400]
    conforms(batch, "/v1/operations:batch", "post")
    state = "/v1/operations/{op_id}/state"
    ended = client.post("/v1/operations/b1/state", json={"state": "Ended"}, headers=auth("beta"))
    conforms(ended, state, "post")
    again = client.post(
        "/v1/operations/b1/state", json={"state": "Activated"}, headers=auth("beta")
    )
    assert again.status_code == 409 and again.json()["allowed"] == []
    conforms(again, state, "post")


def test_every_answer_of_the_native_api_has_a_schema(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        if not path.startswith(NATIVE + SERVICE):
            continue
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status.startswith("2") or status == "409":
                    for media in answer["content"].values():
                        assert media.get("schema"), f"{method} {path} {status}"


def test_the_event_stream_is_documented_with_its_items(
    client: TestClient, auth: Headers, doc: dict[str, Any]
) -> None:
    assert client.put("/v1/operations/a1", json=native_op(), headers=auth()).is_success
    answer = doc["paths"]["/v1/events"]["get"]["responses"]["200"]
    stream = answer["content"]["text/event-stream"]
    assert "event: expired" in answer["description"]
    items = validator(doc, stream["itemSchema"])
    events = catch_up(client, auth())
    assert events
    for event in events:
        assert items.is_valid(event["data"]), event


@pytest.mark.parametrize(
    ("path", "sends", "receives"),
    [
        ("/v1/stream", "StreamMessage", None),
        ("/v1/stream/tracks", "TracksStreamAnswer", "TracksStreamMessage"),
    ],
)
def test_each_websocket_is_documented_with_its_messages(
    doc: dict[str, Any], path: str, sends: str, receives: str | None
) -> None:
    opening = doc["paths"][path]["get"]
    assert "101" in opening["responses"]
    messages = opening["x-websocket-messages"]
    assert messages["sends"] == {"$ref": f"#/components/schemas/{sends}"}
    assert sends in doc["components"]["schemas"]
    if receives is not None:
        assert messages["receives"] == {"$ref": f"#/components/schemas/{receives}"}
        assert receives in doc["components"]["schemas"]
    assert {"access_token"} <= {p["name"] for p in opening["parameters"]}


@pytest.fixture
def tactical(settings: Settings, store: SqlStore) -> Iterator[TestClient]:
    app = create_app(settings, store)
    app.state.services.live = live_picture(app.state.services, config(), FakeClock())
    with TestClient(app) as c:
        yield c


def report(ident: str, lon: float, track_deg: float) -> dict[str, Any]:
    return {
        "id": ident,
        "time": T0.isoformat().replace("+00:00", "Z"),
        "lat": 0.0,
        "lon": lon,
        "alt_m": 3000.0,
        "gs_mps": 100.0,
        "track_deg": track_deg,
        "vs_mps": 0.0,
    }


def test_tracks_and_alerts_match_the_documented_answers(
    tactical: TestClient, auth: Headers, conforms: Conforms, store: SqlStore
) -> None:
    scopes = ("deconflict.track", "deconflict.read")
    share(store, "alpha", "beta", "telemetry", "call_signs")
    first = tactical.post(
        "/v1/tracks", json={"reports": [report("A1", 0.0, 90.0)]}, headers=auth("alpha", *scopes)
    )
    conforms(first, "/v1/tracks", "post")
    second = tactical.post(
        "/v1/tracks", json={"reports": [report("B1", 0.02, 270.0)]}, headers=auth("beta", *scopes)
    )
    assert second.json()["alerts"], second.text
    conforms(second, "/v1/tracks", "post")
    conforms(tactical.get("/v1/tracks", headers=auth("beta", *scopes)), "/v1/tracks", "get")
    conforms(tactical.get("/v1/alerts", headers=auth("alpha", *scopes)), "/v1/alerts", "get")
    admin = auth("operator", "deconflict.admin")
    conforms(tactical.get("/v1/tracks", headers=admin), "/v1/tracks", "get")


def test_constraints_match_the_documented_answers(
    client: TestClient, auth: Headers, conforms: Conforms
) -> None:
    restricted = {
        "type": "restricted",
        "volumes": with_circle(2.0)["volumes"],
        "allowed_parties": ["beta"],
        "allowed_min_priority": 10,
        "name": "range",
        "details": {"why": "firing"},
    }
    one = "/v1/constraints/{cid}"
    created = client.put("/v1/constraints/c1", json=restricted, headers=auth("alpha"))
    assert created.status_code == 201, created.text
    conforms(created, one, "put")
    conforms(client.put("/v1/constraints/c1", json=restricted, headers=auth("alpha")), one, "put")
    conforms(client.get("/v1/constraints/c1", headers=auth("alpha")), one, "get")
    seen = client.get("/v1/constraints/c1", headers=auth("beta"))
    assert seen.json()["reference"] is True
    conforms(seen, one, "get")
    conforms(client.get("/v1/constraints", headers=auth("beta")), "/v1/constraints", "get")
    conforms(client.delete("/v1/constraints/c1", headers=auth("alpha")), one, "delete")


def test_agreed_zones_match_the_documented_answers(
    client: TestClient, auth: Headers, conforms: Conforms
) -> None:
    admin = auth("ops", *OPERATOR)
    zone = {
        "line": [[0.0, 0.0], [0.0, 0.1]],
        "width_m": 2000,
        "left_party": "alpha",
        "right_party": "bravo",
        "valid_start": "2030-07-01T06:00:00Z",
        "valid_end": "2030-07-01T18:00:00Z",
        "altitude_lower_m": 0,
        "altitude_upper_m": 500,
    }
    one = "/v1/zones/{zid}"
    created = client.put("/v1/zones/river", json=zone, headers=admin)
    assert created.status_code == 201, created.text
    conforms(created, one, "put")
    sectors = {
        "sectors": [
            {
                "geometry": {"type": "Point", "coordinates": [1, 0]},
                "radius_m": 500,
                "party": "alpha",
            }
        ],
        "valid_start": zone["valid_start"],
        "valid_end": zone["valid_end"],
    }
    conforms(client.put("/v1/zones/river", json=sectors, headers=admin), one, "put")
    conforms(client.get("/v1/zones/river", headers=auth("alpha")), one, "get")
    seen = client.get("/v1/zones/river", headers=auth("charlie"))
    assert seen.json()["reference"] is True
    conforms(seen, one, "get")
    conforms(client.get("/v1/zones", headers=auth("charlie")), "/v1/zones", "get")
    conforms(client.delete("/v1/zones/river", headers=admin), one, "delete")
    history = client.get("/v1/zones/river/history", headers=admin)
    assert [v["deleted"] for v in history.json()["versions"]][-1] is True
    conforms(history, "/v1/zones/{zid}/history", "get")


def test_hotline_messages_match_the_documented_answers(
    client: TestClient, auth: Headers, conforms: Conforms
) -> None:
    sent = client.post("/v1/messages", json={"to": "beta", "text": "hold"}, headers=auth())
    assert sent.status_code == 201, sent.text
    conforms(sent, "/v1/messages", "post")
    one = "/v1/messages/{message_id}"
    msg = sent.json()["id"]
    conforms(client.get(f"/v1/messages/{msg}", headers=auth("beta")), one, "get")
    acked = client.post(f"/v1/messages/{msg}/ack", headers=auth("beta"))
    assert acked.status_code == 200, acked.text
    conforms(acked, "/v1/messages/{message_id}/ack", "post")
    conforms(client.get("/v1/messages", headers=auth()), "/v1/messages", "get")
    operator = client.get("/v1/messages", params={"all": "true"}, headers=auth("ops", *OPERATOR))
    conforms(operator, "/v1/messages", "get")


def test_standing_conflicts_match_the_documented_answers(
    client: TestClient, auth: Headers, conforms: Conforms, grant: Grant
) -> None:
    grant("beta", priority_max=5)
    assert client.put("/v1/operations/a1", json=native_op(), headers=auth("alpha")).is_success
    over = client.put("/v1/operations/b1", json=native_op(0.005, priority=5), headers=auth("beta"))
    assert over.status_code == 201, over.text
    path = "/v1/console/conflicts"
    seen = client.get(path, headers=auth("alpha"))
    [standing] = seen.json()["conflicts"]
    assert standing["conflict_id"]
    conforms(seen, path, "get")
    operator = client.get(path, headers=auth("ops", *OPERATOR))
    assert operator.json()["conflicts"][0]["party"] in ("alpha", "beta")
    conforms(operator, path, "get")


def test_uss_plans_match_the_documented_answer(
    client: TestClient, auth: Headers, conforms: Conforms, store: SqlStore, grant: Grant
) -> None:
    plan_over_native(client, auth, store, grant)
    reference = {
        "id": new_id(),
        "manager": "uss-far",
        "uss_availability": "Normal",
        "version": 1,
        "time_start": {"value": airspace.T0, "format": "RFC3339"},
        "time_end": {"value": airspace.T1, "format": "RFC3339"},
        "uss_base_url": "https://uss-far.example.com",
    }
    constraint = {
        "constraint_id": reference["id"],
        "constraint": {"reference": reference, "details": {"volumes": [airspace.extent()]}},
        "subscriptions": [{"subscription_id": new_id(), "notification_index": 3}],
    }
    told = client.post("/uss/v1/constraints", json=constraint, headers=auth("uss-far", CP))
    assert told.status_code == 204, told.text
    plans = client.get("/v1/console/uss_plans", headers=auth(airspace.PARTY))
    assert {p["kind"] for p in plans.json()["uss_plans"]} == {"uss_intent", "uss_constraint"}
    conforms(plans, "/v1/console/uss_plans", "get")


def test_readiness_matches_the_documented_answers(client: TestClient, conforms: Conforms) -> None:
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.text
    conforms(ready, "/ready", "get")
    client.app.state.services.audit_key = None  # type: ignore[attr-defined]
    missing = client.get("/ready")
    assert missing.status_code == 503
    conforms(missing, "/ready", "get")


def test_liveness_matches_the_documented_answer(client: TestClient, doc: dict[str, Any]) -> None:
    alive = client.get("/healthy")
    schema = doc["paths"]["/healthy"]["get"]["responses"]["200"]["content"]["text/plain"]
    assert validator(doc, schema["schema"]).is_valid(alive.text), alive.text
    assert schema["schema"].get("enum") == [alive.text]
