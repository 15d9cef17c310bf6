"""Issue 18: a 400 names the field the client sent, as the client wrote it, and what
was wrong with it; unparsable JSON is placed by line and column."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Headers, native_op


def put(client: TestClient, auth: Headers, body: Any) -> str:
    r = client.put("/v1/operations/a1", json=body, headers=auth())
    assert r.status_code == 400, r.text
    message: str = r.json()["message"]
    return message


def with_geometry(geometry: dict[str, Any], **volume: Any) -> dict[str, Any]:
    body = native_op()
    body["volumes"][0].update(geometry=geometry, **volume)
    return body


def test_bad_json_is_placed_by_line_and_column(client: TestClient, auth: Headers) -> None:
    text = '{\n  "volumes": [\n    {"geometry": 1,}\n  ]\n}'
    headers = {**auth(), "Content-Type": "application/json"}
    r = client.put("/v1/operations/a1", content=text, headers=headers)
    assert r.status_code == 400
    assert r.json()["message"].startswith("body: invalid JSON at line 3, column 20: ")


def test_a_point_without_radius_names_the_radius_field_of_the_volume(
    client: TestClient, auth: Headers
) -> None:
    message = put(client, auth, with_geometry({"type": "Point", "coordinates": [0, 0]}))
    assert message.startswith("volumes[0].radius_m: ")
    assert "properties" not in message


def test_a_ring_of_two_positions_names_the_ring_the_client_sent(
    client: TestClient, auth: Headers
) -> None:
    ring = [[0, 0], [1, 1], [0, 0]]
    message = put(client, auth, with_geometry({"type": "Polygon", "coordinates": [ring]}))
    assert message.startswith("volumes[0].geometry.coordinates[0]: ")
    assert "vertices" not in message.split(":")[0]


def test_a_repeated_position_is_named_by_its_place_in_the_ring(
    client: TestClient, auth: Headers
) -> None:
    ring = [[0, 0], [1, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    message = put(client, auth, with_geometry({"type": "Polygon", "coordinates": [ring]}))
    assert message.startswith("volumes[0].geometry.coordinates[0][3]: repeats vertex 1")


def test_a_position_that_is_not_numbers_is_the_one_named(client: TestClient, auth: Headers) -> None:
    ring = [[0, 0], [1, 0], [1, "north"], [0, 0]]
    message = put(client, auth, with_geometry({"type": "Polygon", "coordinates": [ring]}))
    assert message.startswith("volumes[0].geometry.coordinates[0][2]: coordinates must be numbers")
    assert "north" in message


def test_a_type_error_says_what_the_client_sent(client: TestClient, auth: Headers) -> None:
    body = native_op()
    body["volumes"][0]["altitude_lower_m"] = "high"
    message = put(client, auth, body)
    assert message.startswith("volumes[0].altitude_lower_m: ") and '"high"' in message


def test_a_missing_field_is_named_where_it_belongs(client: TestClient, auth: Headers) -> None:
    body = native_op()
    del body["volumes"][0]["time_end"]
    assert put(client, auth, body) == "volumes[0].time_end: field required"


def test_a_constraint_names_the_volume_fields_alike(client: TestClient, auth: Headers) -> None:
    body = {"type": "no_fly", **with_geometry({"type": "Point", "coordinates": [0, 0]})}
    body.pop("priority")
    r = client.put("/v1/constraints/c1", json=body, headers=auth("alpha", "deconflict.admin"))
    assert r.status_code == 400, r.text
    assert r.json()["message"].startswith("volumes[0].radius_m: ")


def test_a_zone_sector_names_the_fields_of_the_sector(client: TestClient, auth: Headers) -> None:
    admin = auth("ops", "deconflict.admin")
    when = {"valid_start": "2030-07-01T06:00:00Z", "valid_end": "2030-07-01T18:00:00Z"}
    point = {"geometry": {"type": "Point", "coordinates": [1, 0]}, "party": "alpha"}
    r = client.put("/v1/zones/z1", json={**when, "sectors": [point]}, headers=admin)
    assert r.status_code == 400
    assert r.json()["message"].startswith("sectors[0].radius_m: ")
    ring = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}
    flat = {"geometry": ring, "party": "alpha"}
    r = client.put("/v1/zones/z1", json={**when, "sectors": [flat]}, headers=admin)
    assert r.status_code == 400
    assert r.json()["message"].startswith("sectors[0].geometry.coordinates[0]: ")
