"""Limits and input rules: each a 400 whose message names the field and the rule."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.e2e.dss.conftest import OIR, Dss, alt, circle, new_id, square, volume4d


def refused(r: Any, *words: str) -> None:
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    for word in words:
        assert word in message, message


def test_a_polygon_over_2500_km2_is_refused(dss: Dss) -> None:
    big = volume4d(square(7.0, 46.0, 0.35))  # about 0.7 deg x 0.7 deg: ~4,200 km²
    refused(dss.alpha.create_intent(extents=[big]), "extents[0].volume", "km²")


def test_a_circle_over_2500_km2_is_refused(dss: Dss) -> None:
    refused(dss.alpha.create_intent(extents=[volume4d(circle(radius=30_000))]), "km²")


def test_a_polygon_just_under_the_limit_is_accepted(dss: Dss) -> None:
    ok = volume4d(square(7.0, 46.0, 0.2))  # ~1,380 km²
    assert dss.alpha.create_intent(extents=[ok]).status_code == 201


def test_more_than_10000_vertices_are_refused(dss: Dss) -> None:
    n = 10_001
    ring = [
        {
            "lng": 7.0 + 0.01 * math.cos(2 * math.pi * i / n),
            "lat": 46.0 + 0.01 * math.sin(2 * math.pi * i / n),
        }
        for i in range(n)
    ]
    extent = volume4d({"outline_polygon": {"vertices": ring}})
    refused(dss.alpha.create_intent(extents=[extent]), "vertices", "10000")


def test_an_intent_that_ended_in_the_past_is_refused(dss: Dss) -> None:
    refused(dss.alpha.create_intent(extents=[volume4d(start=-60, end=-5)]), "time_end", "past")


def test_an_inverted_time_window_is_refused(dss: Dss) -> None:
    refused(dss.alpha.create_intent(extents=[volume4d(start=60, end=30)]), "time_end", "before")


def test_an_intent_beyond_the_30_day_horizon_is_refused(dss: Dss) -> None:
    far = volume4d(start=31 * 24 * 60, end=31 * 24 * 60 + 30)
    refused(dss.alpha.create_intent(extents=[far]), "time_start", "30 days")


def test_an_intent_needs_altitude_bounds(dss: Dss) -> None:
    refused(dss.alpha.create_intent(extents=[volume4d(hi=None)]), "altitude_upper", "required")


@pytest.mark.parametrize(
    ("altitude", "word"),
    [
        ({"value": 100, "reference": "W84", "units": "FT"}, "units"),
        ({"value": 100, "reference": "SFC", "units": "M"}, "reference"),
    ],
)
def test_only_metres_above_wgs84_are_accepted(
    dss: Dss, altitude: dict[str, Any], word: str
) -> None:
    extent = volume4d()
    extent["volume"]["altitude_upper"] = altitude
    refused(dss.alpha.create_intent(extents=[extent]), "altitude_upper", word)


def test_circle_and_polygon_together_are_refused(dss: Dss) -> None:
    extent = volume4d({**circle(), **square()})
    refused(dss.alpha.create_intent(extents=[extent]), "not both")


def test_an_outline_is_required(dss: Dss) -> None:
    extent = volume4d()
    del extent["volume"]["outline_circle"]
    refused(dss.alpha.create_intent(extents=[extent]), "outline")


def test_a_self_intersecting_polygon_is_refused(dss: Dss) -> None:
    bowtie = [(7.0, 46.0), (7.01, 46.01), (7.01, 46.0), (7.0, 46.01)]
    extent = volume4d({"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in bowtie]}})
    refused(dss.alpha.create_intent(extents=[extent]), "outline_polygon")


def test_unknown_fields_are_ignored(dss: Dss) -> None:
    r = dss.alpha.create_intent(old_version=3, notify_for_operations=True, flavour="vanilla")
    assert r.status_code == 201, r.text


def test_null_means_absent(dss: Dss) -> None:
    extent = volume4d()
    extent["volume"]["outline_polygon"] = None
    r = dss.alpha.create_intent(
        extents=[extent], key=None, subscription_id=None, new_subscription=None
    )
    assert r.status_code == 201, r.text


def test_ids_must_be_uuid4(dss: Dss) -> None:
    refused(dss.alpha.create_intent("not-a-uuid"), "entityid")
    refused(dss.alpha.create_intent("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "version-4")


def test_dashless_ids_are_accepted_and_returned_canonical(dss: Dss) -> None:
    intent_id = new_id()
    r = dss.alpha.create_intent(intent_id.replace("-", "").upper())
    assert r.status_code == 201, r.text
    assert r.json()["operational_intent_reference"]["id"] == intent_id
    assert dss.alpha.call("GET", f"{OIR}/{intent_id}").status_code == 200


def test_uss_base_url_must_be_an_absolute_http_url(dss: Dss) -> None:
    refused(dss.alpha.create_intent(base="ftp://uss"), "uss_base_url")


def test_a_malformed_body_is_a_bad_request_with_a_message(dss: Dss) -> None:
    r = dss.client.put(
        f"{OIR}/{new_id()}",
        content=b"{not json",
        headers={**dss.alpha.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert set(r.json()) == {"message"}


def test_a_missing_required_field_is_a_bad_request(dss: Dss) -> None:
    r = dss.alpha.call("PUT", f"{OIR}/{new_id()}", {"extents": [volume4d()], "state": "Accepted"})
    refused(r, "uss_base_url")


def test_altitudes_beyond_the_schema_bounds_are_refused(dss: Dss) -> None:
    extent = volume4d()
    extent["volume"]["altitude_upper"] = alt(200_000)
    refused(dss.alpha.create_intent(extents=[extent]), "altitude_upper")
