"""The offline basemap under the river-valley story, with every non-local request blocked.

The ``browser_page`` fixture aborts (and fails the test on) any request that leaves this
machine, so what is drawn here came from the service: the packages installed with the
console and the Natural Earth file built at ``npm ci``.
"""

from __future__ import annotations

import struct
import zlib
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


def _png_pixel() -> bytes:
    """A one-pixel PNG: what the stand-in tile server answers."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_tile_server_set_in_map_settings_takes_the_offline_basemaps_place(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    asked: list[str] = []

    def tile(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=_png_pixel())

    page.route(f"{service.url}/tiles/**", tile)
    page.goto(f"{service.url}/#token={service.token('alpha')}")
    expect(page.locator("#map")).to_have_attribute("data-basemap", "ready", timeout=20_000)
    rivers = page.locator("#map path.basemap-river")
    assert rivers.count() > 0
    page.locator("#settings summary").click()
    page.locator("#tile-url").fill(f"{service.url}/tiles/{{z}}/{{x}}/{{y}}.png")
    page.locator("#tile-save").click()
    expect(page.locator("#map img.leaflet-tile").first).to_be_attached()
    expect(rivers).to_have_count(0)
    assert asked and all(u.startswith(f"{service.url}/tiles/") for u in asked)
    # Cleared, the offline basemap is back.
    page.locator("#tile-url").fill("")
    page.locator("#tile-save").click()
    expect(page.locator("#map img.leaflet-tile")).to_have_count(0)
    assert rivers.count() > 0
