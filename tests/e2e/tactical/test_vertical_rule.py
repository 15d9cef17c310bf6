"""The service judges the zone its settings state (issue 16, defect 2, live path)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.settings import Settings, TacticalSettings
from deconflict.store.sql import SqlStore
from deconflict.tactical.configure import live_config
from deconflict.tactical.state import EARTH_RADIUS_M
from tests.e2e.tactical.conftest import Headers, post, report, wire
from tests.tactical.helpers import FakeClock, config

R, GS, ENTRY_S, DZ_M = 9260.0, 200.0, 295.0, 289.8
GAP_M = R + 2 * GS * ENTRY_S


@pytest.fixture
def default_service(settings: Settings, store: SqlStore, clock: FakeClock) -> TestClient:
    """The service as ``Settings()`` configures it: default zone, tolerance and lookahead."""
    app = create_app(settings, store)
    cfg = live_config(TacticalSettings())
    wire(app, config(params=cfg.params), clock)
    return TestClient(app)


def test_posted_tracks_of_the_issue_pair_raise_an_alert_entering_at_295_s(
    default_service: TestClient, auth: Headers, clock: FakeClock
) -> None:
    lon_b = math.degrees(GAP_M / EARTH_RADIUS_M)
    post(
        default_service,
        auth("alpha"),
        report("LOW", 0.0, clock.now, alt_m=10_000.0, gs_mps=GS, track_deg=90.0),
    )
    answer = post(default_service, auth("beta"),
                  report("HIGH", lon_b, clock.now, alt_m=10_000.0 + DZ_M, gs_mps=GS,
                         track_deg=270.0))  # fmt: skip
    [alert] = answer["alerts"]
    assert alert["own"] == "HIGH"
    assert alert["t_in_s"] == pytest.approx(ENTRY_S, abs=0.05)


def test_the_settings_tolerance_defaults_to_zero_and_widens_the_zone(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).tactical.vertical_tolerance_m == 0.0
    params = live_config(TacticalSettings(vertical_tolerance_m=7.62)).params
    assert params.zone.effective_half_height_m == pytest.approx(304.8 + 7.62)
