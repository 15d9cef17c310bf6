"""What the console tells people: the operator's conflicts, the legend, the time of an
overlap, alerts by name, and why a token link is refused."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.cli.scenario import PARTY_SCOPES
from deconflict.cli.token import token_command
from deconflict.scenarios import river_valley
from deconflict.scenarios.player import Player
from deconflict.settings import Settings
from tests.e2e.console.conftest import Service

Shot = Callable[[Any, str], None]
LONG = 20_000  # ms: the first picture waits for the service and a loaded machine


def _planned(service: Service) -> tuple[Any, Player, dict[str, httpx.Client]]:
    story = river_valley.build(service.clock.now)
    clients = {p: service.client(p) for p in story.parties}
    clients |= {p: service.client(p, admin=True) for p in story.operators}
    player = Player(clients)
    assert all(r.as_expected for r in player.plan(story))
    return story, player, clients


def _open(page: Any, service: Service, party: str, *, admin: bool = False) -> None:
    page.goto(f"{service.url}/#token={service.token(party, admin=admin)}")
    expect(page.locator("#who")).to_contain_text(f"Signed in as {party}", timeout=LONG)
    expect(page.locator("#map")).to_have_attribute("data-operations", "10", timeout=LONG)


def test_the_operator_sees_the_conflict_that_stands_between_two_parties(
    service: Service, browser_page: Any, shot: Shot
) -> None:
    page = browser_page
    _planned(service)
    _open(page, service, "operator", admin=True)
    expect(page.locator("#conflict-count")).to_have_text("1")
    conflict = page.locator("#conflicts button")
    expect(conflict).to_contain_text("coa-dustoff-5")
    expect(conflict).to_contain_text("nf-sokol-7")
    conflict.click()
    detail = page.locator("#detail-body")
    expect(detail).to_contain_text("notice (higher priority)")
    # The operator is neither side: whose each operation is, and no "Yours".
    expect(detail).to_contain_text("coa-dustoff-5 (coalition")
    expect(detail).to_contain_text("nf-sokol-7 (northern-force")
    expect(detail).not_to_contain_text("Yours")
    shot(page, "console-operator")


def test_the_legend_says_full_shapes_for_another_partys_operations_shown_in_full(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    _planned(service)
    _open(page, service, "operator", admin=True)
    legend = page.locator("#legend")
    expect(legend).to_contain_text("northern-force (full shapes)")
    expect(legend).to_contain_text("coalition (full shapes)")
    expect(legend).not_to_contain_text("reference boxes")


def test_an_overlap_is_faded_while_the_slider_is_outside_its_time(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    _planned(service)
    _open(page, service, "coalition")
    page.locator("#conflicts button").click()
    # Selecting it moves the slider to when it begins: drawn as happening then.
    expect(page.locator("#map")).to_have_attribute("data-overlaps-active", "1")
    end_s = (
        page.evaluate(
            "Math.max(...deconflict.state.conflicts[0].overlaps.map(o => Date.parse(o.time_end)))"
        )
        / 1000
    )
    page.evaluate(
        """(t) => { const s = document.getElementById('time');
                    s.value = String(t); s.dispatchEvent(new Event('input')); }""",
        int(end_s) + 600,
    )
    # Ten minutes after it ends it is faded, though still the selected conflict.
    expect(page.locator("#map")).to_have_attribute("data-overlaps-active", "0")
    expect(page.locator("#conflicts button")).to_have_attribute("aria-current", "true")


def test_alerts_are_named_by_their_aircraft_never_by_their_numeric_id(
    service: Service, browser_page: Any
) -> None:
    page = browser_page
    story, player, _clients = _planned(service)
    _open(page, service, "coalition")
    player.fly(story, clock=service.clock, sleep=service.clock.sleep, until_s=24)
    alert = page.locator("#alerts button")
    expect(alert).to_have_count(1, timeout=LONG)
    alert.click()
    ack = page.get_by_role("button", name="Acknowledge alert")
    expect(ack).to_have_text(re.compile(r"^Acknowledge alert HERC22 ↔ traffic-\S+$"))
    expect(page.locator("#detail-body h3")).to_contain_text("HERC22 ↔ traffic-")
    alert_id = str(page.evaluate("deconflict.state.alerts[0].id"))
    for where in ("#alerts", "#detail-body"):
        expect(page.locator(where)).not_to_contain_text(alert_id)


def _expired(service: Service) -> str:
    key = load_or_create_signing_key(service.data_dir)
    issuer = Settings().auth.issuer
    an_hour_ago = time.time() - 3600
    return mint_token(
        key,
        sub="coalition",
        scopes=PARTY_SCOPES,
        audience="localhost",
        issuer=issuer,
        lifetime_s=600,
        now=an_hour_ago,
    )


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("malformed", "is malformed: it is not a JWT"),
        ("cut", "is malformed: its claims are not JSON"),
        ("expired", "expired at"),
        ("foreign key", "was refused by the service: token signature does not verify"),
    ],
)
def test_a_bad_token_link_returns_to_the_sign_in_form_saying_why(
    service: Service, browser_page: Any, case: str, says: str
) -> None:
    page = browser_page
    good = service.token("coalition")
    token = {
        "malformed": "not-a-token",
        "cut": good[: good.index(".") + 12] + "." + good.rsplit(".", 1)[1],
        "expired": _expired(service) if case == "expired" else "",
        "foreign key": token_command("coalition", PARTY_SCOPES, service.data_dir / "elsewhere"),
    }[case]
    page.goto(f"{service.url}/#token={token}")
    error = page.locator("#sign-in-error")
    expect(error).to_contain_text("The token in the link you opened", timeout=LONG)
    expect(error).to_contain_text(says)
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#console")).to_be_hidden()
