"""Issue 18: a bbox that is no box is a 400 naming ``bbox`` and the part at fault;
west greater than east is a box across the antimeridian (RFC 7946), never the short
box between the two meridians."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Headers, native_op

LISTS = ["/v1/operations", "/v1/constraints"]


def refused(client: TestClient, auth: Headers, path: str, bbox: str) -> str:
    r = client.get(path, params={"bbox": bbox}, headers=auth())
    assert r.status_code == 400, r.text
    message: str = r.json()["message"]
    assert message.startswith("bbox: ")
    return message


@pytest.mark.parametrize("path", LISTS)
def test_south_above_north_is_a_400_naming_them(
    client: TestClient, auth: Headers, path: str
) -> None:
    message = refused(client, auth, path, "0,0.5,0.1,0.2")
    assert "south 0.5 must be below north 0.2" in message


def test_west_equal_to_east_is_a_box_without_width(client: TestClient, auth: Headers) -> None:
    assert "no width" in refused(client, auth, "/v1/operations", "0.1,0,0.1,0.2")


def test_the_whole_circle_of_longitudes_is_no_box(client: TestClient, auth: Headers) -> None:
    assert "no width" in refused(client, auth, "/v1/operations", "-180,0,180,0.1")


def test_a_longitude_out_of_range_names_which_one(client: TestClient, auth: Headers) -> None:
    assert "east 181.0 is outside" in refused(client, auth, "/v1/operations", "0,0,181,0.1")


def test_a_box_across_the_antimeridian_finds_what_is_there_and_not_what_is_between(
    client: TestClient, auth: Headers
) -> None:
    for op_id, lon in (("east-edge", 179.5), ("greenwich", 0.0)):
        r = client.put(f"/v1/operations/{op_id}", json=native_op(lon=lon), headers=auth())
        assert r.status_code == 201, r.text
    r = client.get("/v1/operations", params={"bbox": "179,0,-179.9,0.1"}, headers=auth())
    assert r.status_code == 200, r.text
    assert [op["id"] for op in r.json()["operations"]] == ["east-edge"]


def test_a_box_the_long_way_round_is_measured_the_long_way(
    client: TestClient, auth: Headers
) -> None:
    # -179.9 to 179.9 eastwards is 359.8 degrees wide: far over the query area limit,
    # where it used to be read as the 0.2 degree box across the antimeridian.
    message = refused(client, auth, "/v1/operations", "-179.9,0,179.9,0.1")
    assert "MAX_QUERY_AREA_KM2" in message
