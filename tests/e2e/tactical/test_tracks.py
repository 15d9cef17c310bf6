"""Position reports: ownership, need-to-know, validation and staleness."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture
from tests.e2e.tactical.conftest import Headers, post, report, wire
from tests.tactical.helpers import HEAD_ON_LON, T0, FakeClock, config


def test_the_caller_sees_its_own_tracks_in_full(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, vs_mps=2.5, operation=None))
    [track] = client.get("/v1/tracks", headers=auth("alpha")).json()["tracks"]
    assert (track["id"], track["lon"], track["alt_m"], track["vs_mps"]) == ("A1", 0.0, 3000.0, 2.5)
    assert (track["gs_mps"], track["track_deg"]) == (100.0, 90.0)


def test_another_partys_telemetry_is_hidden_while_not_in_conflict(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=90.0))
    r = client.get("/v1/tracks", headers=auth("alpha"))
    assert r.json()["traffic"] == [] and "B1" not in r.text


def test_another_partys_aircraft_in_conflict_appears_as_anonymous_traffic(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=270.0))
    r = client.get("/v1/tracks", headers=auth("alpha"))
    [traffic] = r.json()["traffic"]
    assert set(traffic) == {
        "alias",
        "time",
        "lat",
        "lon",
        "alt_m",
        "gs_mps",
        "track_deg",
        "vs_mps",
        "off_nominal",
    }
    assert (traffic["lon"], traffic["track_deg"]) == (HEAD_ON_LON, 270.0)
    assert "B1" not in r.text and "beta" not in r.text
    [alert] = client.get("/v1/alerts", headers=auth("alpha")).json()["alerts"]
    assert alert["other"]["alias"] == traffic["alias"]


def test_an_alias_is_stable_for_one_viewer_and_differs_between_viewers(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    post(client, auth("gamma"), report("G1", 0.0, clock.now, lat=0.01, track_deg=90.0))
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=270.0))
    seen_by_alpha = client.get("/v1/tracks", headers=auth("alpha")).json()["traffic"]
    seen_by_gamma = client.get("/v1/tracks", headers=auth("gamma")).json()["traffic"]
    clock.advance(1)
    post(client, auth("beta"), report("B1", HEAD_ON_LON - 0.0009, clock.now, track_deg=270.0))
    again = client.get("/v1/tracks", headers=auth("alpha")).json()["traffic"]
    assert seen_by_alpha[0]["alias"] == again[0]["alias"]
    assert seen_by_alpha[0]["alias"] != seen_by_gamma[0]["alias"]


def test_reporting_needs_the_track_scope(client: TestClient, auth: Headers) -> None:
    r = client.post(
        "/v1/tracks",
        json={"reports": [report("A1", 0.0)]},
        headers=auth("alpha", "deconflict.plan"),
    )
    assert r.status_code == 403 and "deconflict.track" in r.json()["message"]


def test_a_report_with_both_velocity_forms_is_a_400_naming_the_report(
    client: TestClient, auth: Headers
) -> None:
    bad = report("A1", 0.0, vn_mps=1.0, ve_mps=0.0)
    r = client.post("/v1/tracks", json={"reports": [report("A0", 0.0), bad]}, headers=auth())
    assert r.status_code == 400 and r.json()["message"].startswith("reports[1]")
    assert "gs_mps" in r.json()["message"]


def test_a_report_from_the_future_is_a_400_naming_its_time(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    ahead = clock.now + timedelta(seconds=60)
    r = client.post("/v1/tracks", json={"reports": [report("A1", 0.0, ahead)]}, headers=auth())
    assert r.status_code == 400 and r.json()["message"].startswith("reports[0].time")


def test_an_older_report_than_the_one_held_is_ignored(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    post(client, auth(), report("A1", 0.5, clock.now))
    answer = post(client, auth(), report("A1", 0.0, clock.now - timedelta(seconds=2)))
    assert (answer["accepted"], answer["ignored"]) == (0, 1)
    assert client.get("/v1/tracks", headers=auth()).json()["tracks"][0]["lon"] == 0.5


def test_a_track_that_stops_reporting_drops_out_at_the_next_pass(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    post(client, auth(), report("A1", 0.0, clock.now))
    clock.advance(live.config.stale_after_s + 0.001)
    summary = live.run_pass()
    assert summary.dropped == ("A1",)
    assert client.get("/v1/tracks", headers=auth()).json()["tracks"] == []


def test_a_stale_aircraft_raises_no_alert(
    client: TestClient, auth: Headers, clock: FakeClock, live: LivePicture
) -> None:
    post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
    clock.advance(live.config.stale_after_s + 1)
    post(client, auth("beta"), report("B1", HEAD_ON_LON, clock.now, track_deg=270.0))
    assert client.get("/v1/alerts", headers=auth("beta")).json()["alerts"] == []


def test_the_router_runs_passes_in_the_background_while_the_app_runs(
    settings: Settings, store: SqlStore
) -> None:
    from deconflict.api.app import create_app

    passes = threading.Event()
    count = [0]

    def clock() -> datetime:
        count[0] += 1
        if count[0] >= 3:
            passes.set()
        return T0

    app: FastAPI = create_app(settings, store)
    wire(app, config(pass_interval_s=0.01), clock)
    with TestClient(app):
        assert passes.wait(10.0)
