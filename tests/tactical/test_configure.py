"""``Settings.tactical``: what the operator configures is what the live picture uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from deconflict.api.app import create_app
from deconflict.errors import InvalidInput
from deconflict.settings import Settings, TacticalSettings
from deconflict.store.sql import SqlStore
from deconflict.tactical.configure import live_config
from deconflict.tactical.live import LivePicture


def test_the_service_reads_its_tactical_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, store: SqlStore
) -> None:
    monkeypatch.setenv("DECONFLICT_TACTICAL__RADIUS_M", "50")
    monkeypatch.setenv("DECONFLICT_TACTICAL__HALF_HEIGHT_M", "15")
    monkeypatch.setenv("DECONFLICT_TACTICAL__NEAR_DISTANCE_M", "2500")
    monkeypatch.setenv(
        "DECONFLICT_TACTICAL__PARTY_ZONES", '{"jets": {"radius_m": 9000, "half_height_m": 300}}'
    )
    app = create_app(Settings(data_dir=tmp_path), store)
    live: LivePicture = app.state.services.live
    params = live.config.params
    assert (params.zone.radius_m, params.zone.half_height_m) == (50.0, 15.0)
    assert params.zone_for("jets").radius_m == 9000.0
    assert live.config.near_distance_m == 2500.0


def test_every_threshold_reaches_the_live_configuration() -> None:
    cfg = live_config(
        TacticalSettings(
            lookahead_s=120,
            stale_after_s=12,
            caution_s=90,
            warning_s=20,
            nonconforming_after_s=3,
            contingent_after_s=30,
            conformance_tolerance_m=2,
            near_vertical_m=100,
        )
    )
    assert cfg.params.lookahead_s == 120 and cfg.stale_after_s == 12
    assert (cfg.alerts.caution_s, cfg.alerts.warning_s) == (90, 20)
    assert (cfg.conformance.nonconforming_after_s, cfg.conformance.contingent_after_s) == (3, 30)
    assert (cfg.conformance_tolerance_m, cfg.near_vertical_m) == (2, 100)


def test_a_pass_interval_of_zero_turns_the_background_passes_off() -> None:
    assert live_config(TacticalSettings(pass_interval_s=0)).pass_interval_s is None


def test_a_non_finite_tolerance_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        live_config(TacticalSettings(half_height_m=15, vertical_tolerance_m=float("inf")))
    assert refused.value.field == "vertical_tolerance_m"
