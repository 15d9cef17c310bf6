"""The offline basemap under the river-valley story, with every non-local request blocked.

The ``browser_page`` fixture aborts (and fails the test on) any request that leaves this
machine, so what is drawn here came from the service: the packages installed with the
console and the Natural Earth file built at ``npm ci``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from deconflict.scenarios import river_valley
from deconflict.scenarios.player import Player
from tests.e2e.console.conftest import Service

Shot = Callable[[Any, str], None]


def test_the_river_valley_is_drawn_on_an_offline_map_of_the_euphrates_and_its_towns(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    story = river_valley.build(service.clock.now)
    clients = {p: service.client(p) for p in story.parties}
    clients |= {p: service.client(p, admin=True) for p in story.operators}
    assert all(r.as_expected for r in Player(clients).plan(story))
    page.goto(f"{service.url}/#token={service.token('coalition')}")
    expect(page.locator("#map")).to_have_attribute("data-operations", "10")
    expect(page.locator("#map")).to_have_attribute("data-basemap", "ready", timeout=20_000)
    # The Euphrates (Natural Earth's "Al Furat") runs through the view, as a drawn path.
    river = page.locator('#map path.basemap-river[data-name="Al Furat"]')
    expect(river).to_have_count(1)
    drawn = river.bounding_box()
    view = page.locator("#map").bounding_box()
    assert drawn is not None and view is not None
    assert drawn["width"] > 100 and drawn["height"] > 100
    assert drawn["x"] < view["x"] + view["width"] and drawn["x"] + drawn["width"] > view["x"]
    # The city on it is named on the map, and so are towns down the valley (GeoNames).
    expect(page.locator(".place", has_text="Dayr az Zawr")).to_be_visible(timeout=10_000)
    expect(page.locator(".place", has_text="Al Mayādīn")).to_be_visible()
    # Borders and coasts come along when zoomed out: Syria's neighbours are named.
    page.evaluate("void deconflict.state.map.map.setZoom(6, {animate: false})")
    expect(page.locator(".place", has_text="Baghdad")).to_be_visible(timeout=10_000)
    shot(page, "console-basemap-region")
    for c in clients.values():
        c.close()
    page.evaluate("void deconflict.state.map.map.setZoom(10, {animate: false})")
    shot(page, "console-basemap")
