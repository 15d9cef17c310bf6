"""The scenarios and the console's conflicts endpoint, without a browser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.cli.scenario import PARTY_SCOPES
from deconflict.cli.token import token_command
from deconflict.scenarios import city, river_valley
from deconflict.scenarios.model import Expect
from deconflict.scenarios.player import Player
from deconflict.settings import Settings

NOW = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)


def _clients(app: object, data: Path, parties: tuple[str, ...]) -> dict[str, TestClient]:
    out = {}
    for p in parties:
        c = TestClient(app)  # type: ignore[arg-type]
        c.headers["Authorization"] = f"Bearer {token_command(p, PARTY_SCOPES, data)}"
        out[p] = c
    return out


def test_river_valley_plans_as_the_story_says_and_conflicts_show_the_notice(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    story = river_valley.build(NOW)
    clients = _clients(app, data, story.parties)
    results = Player(clients).plan(story)  # type: ignore[arg-type]
    outcomes = [r.outcome for r in results if r.step.op_id == "coa-jackal-11"]  # type: ignore[union-attr]
    assert outcomes == [Expect.REJECTED, Expect.ACCEPTED]
    assert all(r.as_expected for r in results)
    for party, mine in (("coalition", "coa-dustoff-5"), ("northern-force", "nf-sokol-7")):
        conflicts = clients[party].get("/v1/console/conflicts").json()["conflicts"]
        assert [(c["operation"], c["verdict"]) for c in conflicts] == [(mine, "notice")]
        assert conflicts[0]["overlaps"][0]["geometry"]["type"] == "Polygon"
    # Replaying from the start removes the operations first.
    assert Player(clients).reset(story) == 10  # type: ignore[arg-type]


def test_city_deliveries_refuse_some_crossings_and_let_medical_ones_through(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    story = city.build(NOW, per_provider=24)
    results = Player(_clients(app, data, story.parties)).plan(story)  # type: ignore[arg-type]
    total = {k: sum(r.counts[k] for r in results) for k in ("accepted", "notice", "rejected")}
    assert sum(total.values()) == 72
    assert total["accepted"] > total["rejected"]


def test_console_page_and_assets(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data")))
    page = client.get("/")
    if (Path(__file__).resolve().parents[2] / "web" / "node_modules").is_dir():
        assert page.status_code == 200
        assert "deconflict console" in page.text
        assert client.get("/console/vendor/leaflet/leaflet.js").status_code == 200
    else:
        assert page.status_code == 404
        assert "npm ci" in page.text
    assert client.get("/console/app.js").status_code == 200
    assert client.get("/console/vendor/leaflet/../../package.json").status_code == 404
    assert client.get("/console/vendor/left-pad/index.js").status_code == 404
