"""Issue 16, defect 1, on the F3548 path: an intent whose circle is centred on a pole
is created, and a USS planning a circle beside it must hold its OVN.

The F3548 path reports no overlap geometry (its key check is the exact distance
test), so the defect never reached it: these tests passed before the fix and hold
the path to the same shapes that broke ``deconflict check`` and the native API."""

from __future__ import annotations

import math

from deconflict.geo.earth import EARTH_RADIUS_M
from tests.e2e.dss.conftest import Dss, circle, new_id, volume4d


def test_an_intent_beside_a_pole_circle_needs_its_ovn(dss: Dss) -> None:
    at_pole = new_id()
    r = dss.alpha.create_intent(at_pole, extents=[volume4d(circle(0.0, 90.0, 500.0))])
    assert r.status_code == 201, r.text
    beside = circle(0.0, 90.0 - math.degrees(100.0 / EARTH_RADIUS_M), 50.0)
    r = dss.beta.create_intent(extents=[volume4d(beside)])
    assert r.status_code == 409, r.text
    assert [m["id"] for m in r.json()["missing_operational_intents"]] == [at_pole]


def test_a_pole_circle_is_found_by_a_query_around_the_pole(dss: Dss) -> None:
    at_pole = new_id()
    dss.alpha.create_intent(at_pole, extents=[volume4d(circle(0.0, -90.0, 500.0))])
    area = volume4d(circle(45.0, -90.0 + math.degrees(300.0 / EARTH_RADIUS_M), 10.0))
    r = dss.beta.call(
        "POST", "/dss/v1/operational_intent_references/query", {"area_of_interest": area}
    )
    assert r.status_code == 200, r.text
    assert [o["id"] for o in r.json()["operational_intent_references"]] == [at_pole]
