"""The console in Debian's Chromium against a live service playing the river-valley story.

Each test saves screenshots of the states it checks to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from deconflict.scenarios import river_valley
from deconflict.scenarios.player import Player
from tests.e2e.console.conftest import Service

Shot = Callable[[Any, str], None]


def _open(page: Any, service: Service, party: str) -> None:
    page.goto(f"{service.url}/#token={service.token(party)}")
    expect(page.locator("#who")).to_contain_text(f"Signed in as {party}")


def test_story_operations_conflict_alert_and_acknowledgement(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    story = river_valley.build(service.clock.now)
    clients = {p: service.client(p) for p in story.parties}
    clients |= {p: service.client(p, admin=True) for p in story.operators}
    player = Player(clients)
    assert all(r.as_expected for r in player.plan(story))
    player.fly(story, clock=service.clock, sleep=service.clock.sleep, until_s=16)

    _open(page, service, "coalition")
    # The map draws all ten operations: coalition's five in full (12 volumes), the
    # northern force's five as one reference box each.
    expect(page.locator("#map")).to_have_attribute("data-operations", "10")
    expect(page.locator("#map")).to_have_attribute("data-shapes", str(12 + 5))
    expect(page.locator("#operations li")).to_have_count(10)
    expect(page.locator("#operations")).to_contain_text("reference")
    # The airspace valid now: the river line's two sectors, the no-fly zone and
    # northern-force's restricted and advisory areas (as reference boxes).
    expect(page.locator("#map")).to_have_attribute("data-airspace", "4")
    expect(page.locator("#legend")).to_contain_text("sector assigned to northern-force")
    # Before KRASNY 4 takes off there is no alert.
    expect(page.locator("#alerts-note")).to_contain_text("No alert")
    shot(page, "console-operations")
    # The agreed zone: each side's sector along the river, and what it means.
    page.locator("#airspace button", has_text="Agreed zone").click()
    expect(page.locator("#detail-body")).to_contain_text("Each sector is for its party alone")
    expect(page.locator("#detail-body table")).to_contain_text("coalition (you)")
    shot(page, "console-airspace")

    # The one standing conflict: DUSTOFF 5 (priority 10) over SOKOL 7, with a notice.
    conflict = page.locator("#conflicts button")
    expect(conflict).to_have_count(1)
    # The other operation is named only where a sharing agreement says so.
    expect(conflict).to_contain_text("coa-dustoff-5 \u00d7 ")
    zoom_before = page.evaluate("deconflict.state.map.map.getZoom()")
    conflict.click()
    expect(page.locator("#detail-body")).to_contain_text("notice (higher priority)")
    expect(page.locator("#detail-body")).to_contain_text("km²")
    expect(page.locator("#map")).to_have_attribute("data-overlaps", "1")
    page.wait_for_function(f"deconflict.state.map.map.getZoom() > {zoom_before}")
    # The time slider moved to when the overlap begins.
    overlap_start = page.evaluate("deconflict.state.conflicts[0].overlaps[0].time_start")
    expect(page.locator("#time-label")).to_have_text(overlap_start[:16].replace("T", " ") + "Z")
    shot(page, "console-conflict")

    # KRASNY 4 takes off: both sides get an alert with a resolution advisory.
    player.fly(story, clock=service.clock, sleep=service.clock.sleep, start_s=18, until_s=24)
    alert = page.locator("#alerts button")
    expect(alert).to_have_count(1, timeout=10_000)
    expect(alert).to_contain_text("HERC22 ↔ traffic-")
    alert.click()
    expect(page.locator("#detail-body")).to_contain_text("Resolution advisory")
    expect(page.locator("#map")).to_have_attribute("data-tracks", "3")  # 2 own + 1 traffic
    shot(page, "console-alert")
    # The crew can call the other aircraft's party without knowing who it is.
    page.get_by_role("textbox", name="Message the other side").fill("HERC22 climbing")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#detail-body")).to_contain_text("Sent")
    received = clients["northern-force"].get("/v1/messages", params={"role": "received"})
    assert [(m["text"], m["from"]) for m in received.json()["messages"]] == [
        ("HERC22 climbing", None)
    ]
    page.get_by_role("button", name="Acknowledge alert").click()
    expect(alert).to_contain_text("acknowledged")
    expect(page.locator("#detail-body")).to_contain_text("acknowledged")
    shot(page, "console-alert-acknowledged")

    # REAPER 31 leaves its orbit: its operation turns Nonconforming.
    player.fly(story, clock=service.clock, sleep=service.clock.sleep, start_s=26, until_s=84)
    page.locator("#op-filter").fill("reaper")
    expect(page.locator("#operations")).to_contain_text("Nonconforming", timeout=15_000)
    for c in clients.values():
        c.close()


def _grid(n: int, party_now: Any) -> list[dict[str, Any]]:
    """``n`` small, separate square volumes over the Alps, over the next hours."""
    from datetime import timedelta

    from deconflict.model.times import rfc3339

    ops = []
    for k in range(n):
        lon, lat = 7.0 + (k % 40) * 0.02, 46.0 + (k // 40) * 0.02
        ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01]]
        start = party_now + timedelta(minutes=k % 120)
        ops.append(
            {
                "id": f"bulk-{k:04d}",
                "volumes": [
                    {
                        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                        "altitude_lower_m": 500,
                        "altitude_upper_m": 600,
                        "time_start": rfc3339(start),
                        "time_end": rfc3339(start + timedelta(minutes=30)),
                    }
                ],
            }
        )
    return ops


def test_page_stays_usable_at_a_thousand_operations(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    with service.client("bulk") as http:
        r = http.post("/v1/operations:batch", json={"operations": _grid(1000, service.clock.now)})
        assert r.status_code == 207
        assert all(item["status"] == 201 for item in r.json()["results"])
    _open(page, service, "bulk")
    expect(page.locator("#map")).to_have_attribute("data-operations", "1000", timeout=20_000)
    expect(page.locator("#op-count")).to_have_text("1000")
    expect(page.locator("#operations li")).to_have_count(200)
    expect(page.locator("#ops-more")).to_contain_text("800 more")
    # Filtering, selecting and scrubbing still answer.
    page.locator("#op-filter").fill("bulk-0999")
    expect(page.locator("#operations li")).to_have_count(1)
    page.locator("#operations button").click()
    expect(page.locator("#detail-body")).to_contain_text("bulk-0999")
    page.locator("#time").focus()
    page.keyboard.press("End")
    expect(page.locator("#live")).to_have_attribute("aria-pressed", "false")
    shot(page, "console-1000-operations")
