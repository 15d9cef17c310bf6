"""A USS's plan over a party's operation shows in that party's console, live.

The page is opened with ``#poll=0``: no background poll, so the plan can only have
arrived on the party's event stream.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from deconflict.auth.scopes import Scope
from deconflict.cli.token import token_command
from deconflict.model.times import rfc3339
from tests.e2e.console.conftest import Service
from tests.e2e.console.test_live_and_airspace import Shot, _open, _square

USS = "uss9"
SC = Scope.STRATEGIC_COORDINATION.value


def _uss(service: Service) -> httpx.Client:
    token = token_command(USS, [SC], service.data_dir)
    return httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def _extent(start: datetime, end: datetime) -> dict[str, Any]:
    ring = [(8.505, 47.305), (8.515, 47.305), (8.515, 47.315), (8.505, 47.315)]
    alt = {"reference": "W84", "units": "M"}
    return {
        "volume": {
            "outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in ring]},
            "altitude_lower": {"value": 150, **alt},
            "altitude_upper": {"value": 250, **alt},
        },
        "time_start": {"value": rfc3339(start), "format": "RFC3339"},
        "time_end": {"value": rfc3339(end), "format": "RFC3339"},
    }


def test_a_uss_intent_planned_over_a_partys_operation_appears_in_its_console_live(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    now = datetime.now(UTC).replace(microsecond=0)  # F3548 plans on the real clock
    start, end = now + timedelta(minutes=2), now + timedelta(hours=1)
    operation = {
        "volumes": [
            {
                "geometry": _square(8.5, 47.3, 0.02),
                "altitude_lower_m": 100,
                "altitude_upper_m": 300,
                "time_start": rfc3339(start),
                "time_end": rfc3339(end),
            }
        ]
    }
    with service.client("alpha") as http:
        assert http.put("/v1/operations/alpha-1", json=operation).is_success
    with service.client("operator", admin=True) as admin:
        assert admin.put(f"/v1/parties/{USS}/grant", json={"priority_max": 1}).is_success
    _open(page, service, "alpha", poll=False)
    expect(page.locator("#stream")).to_have_attribute("data-live", "true")
    expect(page.locator("#map")).to_have_attribute("data-uss", "0")

    with _uss(service) as uss:
        area = {"area_of_interest": _extent(start, end)}
        found = uss.post("/dss/v1/operational_intent_references/query", json=area)
        [native] = found.json()["operational_intent_references"]
        details = uss.get(f"/uss/v1/operational_intents/{native['id']}")
        ovn = details.json()["operational_intent"]["reference"]["ovn"]
        plan = {
            "extents": [_extent(start, end)],
            "key": [ovn],
            "state": "Accepted",
            "uss_base_url": "https://uss9.example.com",
        }
        r = uss.put(f"/dss/v1/operational_intent_references/{uuid.uuid4()}", json=plan)
        assert r.status_code == 201, r.text

    expect(page.locator("#map")).to_have_attribute("data-uss", "1")
    expect(page.locator("#uss")).to_contain_text(f"USS plan by {USS}")
    expect(page.locator("#uss")).to_contain_text("over alpha-1")
    expect(page.locator(".uss-label")).to_have_text(USS)
    page.locator("#uss button").first.click()
    expect(page.locator("#detail-body")).to_contain_text("Manager (USS)")
    shot(page, "console-uss-plan")
