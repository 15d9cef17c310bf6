"""The hotline in the console: received messages with Acknowledge, and "message the
other side" from a conflict. The pages run without the background poll (``#poll=0``):
messages arrive through the event stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from deconflict.model.times import rfc3339
from tests.e2e.console.conftest import Service

Shot = Callable[[Any, str], None]


def _open(page: Any, service: Service, party: str) -> None:
    page.goto(f"{service.url}/#token={service.token(party)}&poll=0")
    expect(page.locator("#stream")).to_have_attribute("data-live", "true")


def _operation(now: datetime, priority: int) -> dict[str, Any]:
    ring = [[8.50, 47.30], [8.52, 47.30], [8.52, 47.32], [8.50, 47.32], [8.50, 47.30]]
    return {
        "priority": priority,
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100,
                "altitude_upper_m": 300,
                "time_start": rfc3339(now - timedelta(minutes=5)),
                "time_end": rfc3339(now + timedelta(hours=1)),
            }
        ],
    }


def test_a_received_message_shows_up_and_is_acknowledged_from_the_panel(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    _open(page, service, "alpha")
    with service.client("bravo") as bravo:
        sent = bravo.post("/v1/messages", json={"to": "alpha", "text": "Climbing to 900 m now"})
        assert sent.status_code == 201
        messages = page.locator("#messages")
        expect(messages).to_contain_text("Climbing to 900 m now")
        expect(page.locator("#message-count")).to_have_text("1")
        shot(page, "console-message")
        page.get_by_role("button", name="Acknowledge message from bravo").click()
        expect(messages).to_contain_text("acknowledged")
        expect(page.locator("#message-count")).to_have_text("0")
        mine = bravo.get("/v1/messages", params={"role": "sent"}).json()["messages"]
    assert mine[0]["acknowledged_at"] is not None


def test_the_other_side_of_a_conflict_is_messaged_from_the_conflict_unnamed(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    now = service.clock.now
    with service.client("operator", admin=True) as operator:
        assert operator.put("/v1/parties/bravo/grant", json={"priority_max": 10}).is_success
    with service.client("alpha") as alpha, service.client("bravo") as bravo:
        assert alpha.put("/v1/operations/alpha-1", json=_operation(now, 0)).is_success
        planned = bravo.put("/v1/operations/bravo-medevac", json=_operation(now, 10))
        assert planned.json()["accepted"] and planned.json()["conflicts"]
        _open(page, service, "alpha")
        page.locator("#conflicts button").click()
        page.get_by_role("textbox", name="Message the other side").fill("We hold south of you")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#detail-body")).to_contain_text("Sent")
        received = bravo.get("/v1/messages", params={"role": "received"}).json()["messages"]
    assert [(m["text"], m["from"]) for m in received] == [("We hold south of you", None)]
