"""The native /v1 API with two parties planning against each other."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Grant, Headers
from tests.conftest import native_op as body


def test_healthy_answers_ok(client: TestClient) -> None:
    r = client.get("/healthy")
    assert r.status_code == 200 and r.text == "ok"


def test_creating_an_operation_answers_201_with_it(client: TestClient, auth: Headers) -> None:
    r = client.put(
        "/v1/operations/op1", json=body(details={"callsign": "A1"}), headers=auth("alpha")
    )
    assert r.status_code == 201
    op = r.json()["operation"]
    assert (op["id"], op["party"], op["version"], op["details"]) == (
        "op1",
        "alpha",
        1,
        {"callsign": "A1"},
    )


def test_replacing_an_operation_answers_200_and_bumps_the_version(
    client: TestClient, auth: Headers
) -> None:
    client.put("/v1/operations/op1", json=body(), headers=auth())
    r = client.put("/v1/operations/op1", json=body(lon=0.001), headers=auth())
    assert r.status_code == 200 and r.json()["operation"]["version"] == 2


def test_a_conflicting_plan_of_another_party_answers_409_with_the_report(
    client: TestClient, auth: Headers
) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    r = client.put("/v1/operations/b1", json=body(lon=0.005), headers=auth("beta"))
    assert r.status_code == 409
    [c] = r.json()["conflicts"]
    assert (c["other_party"], c["verdict"]) == ("alpha", "blocking")
    assert c["overlaps"][0]["area_m2"] > 0
    assert client.get("/v1/operations/b1", headers=auth("beta")).status_code == 404


def test_higher_priority_is_accepted_with_a_notice(
    client: TestClient, auth: Headers, grant: Grant
) -> None:
    grant("beta", priority_max=5)
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    r = client.put("/v1/operations/b1", json=body(priority=5), headers=auth("beta"))
    assert r.status_code == 201
    assert r.json()["conflicts"][0]["verdict"] == "notice"


def test_check_is_a_dry_run(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    r = client.post("/v1/operations:check", json=body(), headers=auth("beta"))
    assert r.status_code == 200 and r.json()["accepted"] is False
    [seen] = client.get("/v1/operations", headers=auth("beta")).json()["operations"]
    assert seen["party"] == "alpha"


def test_batch_reports_each_item(client: TestClient, auth: Headers) -> None:
    items = [{"id": "x1", **body()}, {"id": "x2", **body()}, {"id": "x3", **body(lon=5)}]
    r = client.post("/v1/operations:batch", json={"operations": items}, headers=auth())
    assert r.status_code == 207
    assert [i["status"] for i in r.json()["results"]] == [201, 409, 201]


def test_others_see_only_a_reference(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=body(details={"secret": 1}), headers=auth("alpha"))
    [seen] = client.get("/v1/operations", headers=auth("beta")).json()["operations"]
    assert seen["reference"] is True
    assert "volumes" not in seen and "details" not in seen
    assert seen["bbox"][0] == 0.0 and seen["altitude_upper_m"] == 200
    own = client.get("/v1/operations/a1", headers=auth("alpha")).json()
    assert own["details"] == {"secret": 1}


def test_list_filters_by_party_me_and_area(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    client.put("/v1/operations/b1", json=body(lon=10), headers=auth("beta"))
    mine = client.get("/v1/operations?party=me", headers=auth("beta")).json()["operations"]
    assert [o["id"] for o in mine] == ["b1"]
    here = client.get("/v1/operations?bbox=-1,-1,1,1", headers=auth("beta")).json()["operations"]
    assert [o["party"] for o in here] == ["alpha"]


def test_geojson_out_on_request(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    r = client.get("/v1/operations", headers={**auth("alpha"), "Accept": "application/geo+json"})
    assert r.headers["content-type"] == "application/geo+json"
    assert r.json()["features"][0]["properties"]["operation"] == "a1"


def test_another_partys_operation_cannot_be_replaced_ended_or_deleted(
    client: TestClient, auth: Headers
) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    assert client.put("/v1/operations/a1", json=body(), headers=auth("beta")).status_code == 403
    r = client.post("/v1/operations/a1/state", json={"state": "Ended"}, headers=auth("beta"))
    assert r.status_code == 403
    assert client.delete("/v1/operations/a1", headers=auth("beta")).status_code == 403


def test_ending_frees_the_airspace(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    r = client.post("/v1/operations/a1/state", json={"state": "Ended"}, headers=auth("alpha"))
    assert r.status_code == 200
    assert client.put("/v1/operations/b1", json=body(), headers=auth("beta")).status_code == 201


def test_delete_removes(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth("alpha"))
    assert client.delete("/v1/operations/a1", headers=auth("alpha")).status_code == 200
    assert client.get("/v1/operations/a1", headers=auth("alpha")).status_code == 404


def test_stale_if_match_answers_409(client: TestClient, auth: Headers) -> None:
    client.put("/v1/operations/a1", json=body(), headers=auth())
    r = client.put("/v1/operations/a1", json=body(), headers={**auth(), "If-Match": "7"})
    assert r.status_code == 409 and "version 1" in r.json()["message"]


def test_bad_input_is_a_400_naming_the_field(client: TestClient, auth: Headers) -> None:
    bad = body()
    bad["volumes"][0]["altitude_lower_m"] = 500
    r = client.put("/v1/operations/a1", json=bad, headers=auth())
    assert r.status_code == 400
    assert r.json()["message"].startswith("volumes[0].altitude_lower_m")
    missing = body()
    del missing["volumes"][0]["time_end"]
    r = client.put("/v1/operations/a1", json=missing, headers=auth())
    assert r.status_code == 400 and "volumes[0].time_end" in r.json()["message"]


def test_writing_needs_the_plan_scope(client: TestClient, auth: Headers) -> None:
    r = client.put("/v1/operations/a1", json=body(), headers=auth("alpha", "deconflict.read"))
    assert r.status_code == 403


def test_no_token_is_a_401_with_a_message(client: TestClient) -> None:
    r = client.get("/v1/operations")
    assert r.status_code == 401 and "message" in r.json()


def test_bodies_over_four_mebibytes_get_413(client: TestClient, auth: Headers) -> None:
    r = client.put(
        "/v1/operations/a1",
        content=b"{" + b" " * (4 * 1024 * 1024 + 10) + b"}",
        headers={**auth(), "Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_true_is_not_a_priority(client: TestClient, auth: Headers) -> None:
    r = client.put("/v1/operations/a1", json=body(priority=True), headers=auth())
    assert r.status_code == 400 and "priority" in r.json()["message"]


def test_a_wrong_method_lists_every_allowed_one(client: TestClient) -> None:
    r = client.patch("/v1/operations/a1")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"DELETE", "GET", "PUT"}
    assert "message" in r.json()
