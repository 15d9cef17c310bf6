"""The scenarios and the console's conflicts endpoint, without a browser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.api.tactical import live_picture
from deconflict.cli.scenario import mint_party_tokens
from deconflict.scenarios import city, river_valley
from deconflict.scenarios.model import Expect, Plan, Scenario
from deconflict.scenarios.player import Player
from deconflict.settings import Settings
from deconflict.tactical.live import LiveConfig
from tests.e2e.console.conftest import FakeClock

NOW = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)


def _clients(app: object, data: Path, story: Scenario) -> dict[str, TestClient]:
    out = {}
    for party, token in mint_party_tokens(story.parties, data, story.operators).items():
        c = TestClient(app)  # type: ignore[arg-type]
        c.headers["Authorization"] = f"Bearer {token}"
        out[party] = c
    return out


def _events(client: TestClient) -> list[dict[str, Any]]:
    text = client.get("/v1/events", params={"follow": "false"}).text
    return [
        json.loads(line.removeprefix("data: "))
        for line in text.splitlines()
        if line.startswith("data: ")
    ]


def test_river_valley_plans_as_the_story_says_and_conflicts_show_the_notice(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    story = river_valley.build(NOW)
    clients = _clients(app, data, story)
    results = Player(clients).plan(story)  # type: ignore[arg-type]
    outcomes = [
        r.outcome for r in results if isinstance(r.step, Plan) and r.step.op_id == "coa-jackal-11"
    ]
    assert outcomes == [Expect.REJECTED, Expect.ACCEPTED]
    assert all(r.as_expected for r in results)
    ids = set()
    for party, mine in (("coalition", "coa-dustoff-5"), ("northern-force", "nf-sokol-7")):
        conflicts = clients[party].get("/v1/console/conflicts").json()["conflicts"]
        assert [(c["operation"], c["verdict"]) for c in conflicts] == [(mine, "notice")]
        assert conflicts[0]["overlaps"][0]["geometry"]["type"] == "Polygon"
        ids.add(conflicts[0]["conflict_id"])
    # Both sides see the hotline id their conflict notices carried.
    notices = [e for e in _events(clients["northern-force"]) if e["kind"] == "conflict.notice"]
    assert ids == {notices[0]["data"]["conflict_id"]}
    # Replaying from the start removes the operations first.
    assert Player(clients).reset(story) == 10  # type: ignore[arg-type]


def test_the_operator_sees_every_standing_conflict_with_the_party_of_each_side(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    story = river_valley.build(NOW)
    clients = _clients(app, data, story)
    Player(clients).plan(story)  # type: ignore[arg-type]
    (operator,) = story.operators
    (found,) = clients[operator].get("/v1/console/conflicts").json()["conflicts"]
    pair = {(found["party"], found["operation"]), (found["other_party"], found["other_operation"])}
    assert pair == {("coalition", "coa-dustoff-5"), ("northern-force", "nf-sokol-7")}
    # The operator is no side of it: no hotline id is made for it.
    assert "conflict_id" not in found


def test_city_deliveries_refuse_some_crossings_and_let_medical_ones_through(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    story = city.build(NOW, per_provider=24)
    results = Player(_clients(app, data, story)).plan(story)  # type: ignore[arg-type]
    total = {k: sum(r.counts[k] for r in results) for k in ("accepted", "notice", "rejected")}
    assert sum(total.values()) == 72
    assert total["accepted"] > total["rejected"]


def test_console_page_and_assets(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data")))
    page = client.get("/")
    if (Path(__file__).resolve().parents[3] / "web" / "node_modules").is_dir():
        assert page.status_code == 200
        assert "deconflict console" in page.text
        assert client.get("/console/vendor/leaflet/leaflet.js").status_code == 200
    else:
        assert page.status_code == 404
        assert "npm ci" in page.text
    assert client.get("/console/app.js").status_code == 200
    assert client.get("/console/vendor/leaflet/../../package.json").status_code == 404
    assert client.get("/console/vendor/left-pad/index.js").status_code == 404


def test_river_valley_airspace_is_drawn_for_each_side_as_it_may_see_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    story = river_valley.build(NOW)
    clients = _clients(app, data, story)
    Player(clients).plan(story)  # type: ignore[arg-type]
    coalition = clients["coalition"]
    constraints = {c["id"]: c for c in coalition.get("/v1/constraints").json()["constraints"]}
    assert {k: (c["type"], c.get("reference", False)) for k, c in constraints.items()} == {
        "nf-airbase": ("restricted", True),
        "nf-bridges": ("advisory", True),
        "coa-hospital": ("no_fly", False),
    }
    assert constraints["nf-airbase"]["allowed_for_you"] is False
    (zone,) = coalition.get("/v1/zones").json()["zones"]
    assert sorted(s["party"] for s in zone["sectors"]) == ["coalition", "northern-force"]
    # Played again (the demo loops, resetting operations only), the airspace is replaced.
    player = Player(clients)  # type: ignore[arg-type]
    player.reset(story)
    assert all(r.as_expected for r in player.plan(story))


def test_the_river_valley_replay_narrates_the_alert_and_the_drone_leaving_its_orbit(
    tmp_path: Path,
) -> None:
    story = river_valley.build(NOW)
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    clock = FakeClock(NOW)  # the story's own day
    app.state.services.live = live_picture(
        app.state.services, LiveConfig(pass_interval_s=None), clock
    )
    said: list[str] = []
    player = Player(_clients(app, data, story), said.append)  # type: ignore[arg-type]
    player.plan(story)
    player.fly(story, clock=clock, sleep=clock.sleep)
    assert any(line.startswith("ALERT ") for line in said)
    changes = [line for line in said if line.startswith("CONFORMANCE ")]
    # Only the drone that follows its target out of the orbit leaves its volumes.
    assert changes and all("REAPER31" in line for line in changes), said
    assert any(line.endswith(": nonconforming") for line in changes), said
