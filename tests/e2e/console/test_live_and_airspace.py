"""The console kept current by the party's event stream, and the airspace layer.

The stream tests open the page with ``#poll=0``: no background poll, so whatever
appears after the first load was carried by ``GET /v1/events``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Route, expect

from deconflict.model.times import rfc3339
from tests.e2e.console.conftest import Service

Shot = Callable[[Any, str], None]


def _open(page: Any, service: Service, party: str, *, poll: bool = True) -> None:
    extra = "" if poll else "&poll=0"
    page.goto(f"{service.url}/#token={service.token(party)}{extra}")
    expect(page.locator("#who")).to_contain_text(f"Signed in as {party}")


def _square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _operation(now: datetime, lon: float = 8.5, lat: float = 47.3) -> dict[str, Any]:
    return {
        "volumes": [
            {
                "geometry": _square(lon, lat, 0.02),
                "altitude_lower_m": 100,
                "altitude_upper_m": 300,
                "time_start": rfc3339(now - timedelta(minutes=5)),
                "time_end": rfc3339(now + timedelta(hours=1)),
            }
        ]
    }


def test_an_operation_created_through_the_api_appears_from_the_event_stream_alone(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    _open(page, service, "alpha", poll=False)
    expect(page.locator("#stream")).to_have_attribute("data-live", "true")
    expect(page.locator("#map")).to_have_attribute("data-operations", "0")
    with service.client("alpha") as http:
        assert http.put("/v1/operations/alpha-1", json=_operation(service.clock.now)).is_success
    expect(page.locator("#map")).to_have_attribute("data-operations", "1")
    expect(page.locator("#operations")).to_contain_text("alpha-1")


def test_after_a_drop_the_stream_resumes_from_the_last_event_id(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    asked: list[str | None] = []
    urls: list[str] = []

    def events(route: Route) -> None:
        asked.append(route.request.headers.get("last-event-id"))
        urls.append(route.request.url)
        if len(asked) == 1:
            # The first connection delivers event 41, then the connection drops.
            body = 'retry: 50\n\nid: 41\nevent: operation.created\ndata: {"id": 41}\n\n'
            route.fulfill(status=200, content_type="text/event-stream", body=body)
        else:
            route.continue_()

    page.route("**/v1/events*", events)
    _open(page, service, "alpha", poll=False)
    page.wait_for_function("document.querySelector('#stream').dataset.live === 'true'")
    expect(page.locator("#stream")).to_have_attribute("data-live", "true")
    assert asked[:2] == [None, "41"]
    # The first connection starts at the newest event instead of replaying the log.
    assert urls[0].endswith("/v1/events?latest=true") and urls[1].endswith("/v1/events")


def _module(page: Any, expression: str) -> Any:
    """Evaluate ``expression`` with the console's api.js module bound to ``api``."""
    return page.evaluate(f"import('/console/api.js').then((api) => {expression})")


def test_an_unknown_event_kind_refreshes_every_layer_and_a_known_one_its_own(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    _open(page, service, "alpha")
    every = ["operations", "airspace", "live", "messages"]
    assert _module(page, "api.layersOf('weather.changed')") == every
    assert _module(page, "api.layersOf('zone.changed')") == ["airspace"]
    assert _module(page, "api.layersOf('alert.new')") == ["live"]
    assert _module(page, "api.layersOf('message.received')") == ["messages"]


def test_server_sent_events_split_across_chunks_are_parsed_whole(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    _open(page, service, "alpha")
    chunks = [
        ": keepalive\r\n\r\nid: 3\r\nevent: alert.new\r",
        '\ndata: {"a":',
        "\ndata: 1}\r\n\r\n",
    ]
    parsed = _module(
        page,
        f"{{ const p = new api.SseParser(); return {json.dumps(chunks)}.map((c) => p.feed(c)); }}",
    )
    assert parsed == [[], [], [{"id": "3", "event": "alert.new", "data": '{"a":\n1}'}]]


def _no_fly(now: datetime) -> dict[str, Any]:
    return {
        "type": "no_fly",
        "name": "Hospital",
        "volumes": [
            {
                "geometry": _square(8.53, 47.37, 0.01),
                "altitude_lower_m": 0,
                "altitude_upper_m": 1000,
                "time_start": rfc3339(now - timedelta(minutes=10)),
                "time_end": rfc3339(now + timedelta(hours=2)),
            }
        ],
    }


def test_the_airspace_layer_draws_a_no_fly_zone_with_its_legend_and_details(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    now = service.clock.now
    with service.client("alpha") as http:
        assert http.put("/v1/operations/alpha-1", json=_operation(now, 8.50, 47.36)).is_success
        assert http.put("/v1/constraints/nfz-hospital", json=_no_fly(now)).status_code == 201
    _open(page, service, "alpha")
    expect(page.locator("#map")).to_have_attribute("data-airspace", "1")
    expect(page.locator("#legend")).to_contain_text("No-fly")
    item = page.locator("#airspace button")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("No-fly Hospital")
    item.click()
    expect(page.locator("#detail-body")).to_contain_text("No-fly")
    expect(page.locator("#detail-body")).to_contain_text("alpha")
    shot(page, "console-no-fly")


def test_airspace_shows_only_what_is_valid_at_the_sliders_time(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    now = service.clock.now
    with service.client("alpha") as http:
        assert http.put("/v1/constraints/nfz-hospital", json=_no_fly(now)).status_code == 201
    _open(page, service, "alpha")
    expect(page.locator("#map")).to_have_attribute("data-airspace", "1")
    later = now + timedelta(hours=3)
    page.evaluate(
        "(ms) => { const s = document.querySelector('#time'); s.max = String(ms / 1000);"
        " s.value = String(ms / 1000); s.dispatchEvent(new Event('input')); }",
        later.timestamp() * 1000,
    )
    expect(page.locator("#map")).to_have_attribute("data-airspace", "0")


def test_a_zone_change_reaches_the_page_through_the_event_stream(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    now = service.clock.now
    _open(page, service, "alpha", poll=False)
    expect(page.locator("#stream")).to_have_attribute("data-live", "true")
    zone = {
        "name": "River line",
        "line": [[8.50, 47.30], [8.60, 47.40]],
        "width_m": 3000,
        "left_party": "alpha",
        "right_party": "bravo",
        "valid_start": rfc3339(now - timedelta(hours=1)),
        "valid_end": rfc3339(now + timedelta(hours=6)),
    }
    with service.client("operator", admin=True) as http:
        assert http.put("/v1/zones/river", json=zone).status_code == 201
    expect(page.locator("#map")).to_have_attribute("data-airspace", "1")
    expect(page.locator("#legend")).to_contain_text("sector assigned to bravo")
    page.locator("#airspace button").click()
    expect(page.locator("#detail-body")).to_contain_text("River line")
    expect(page.locator("#detail-body table")).to_contain_text("bravo")
