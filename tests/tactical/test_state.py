"""State vectors: wire parsing, unit conversion, validation that names the field."""

from __future__ import annotations

import math

import pytest

from deconflict.errors import InvalidInput
from deconflict.tactical.separation import FT_M, NM_M, ProtectedZone, TacticalParams
from deconflict.tactical.state import (
    EARTH_RADIUS_M,
    align,
    feet_per_minute_to_mps,
    kinematics,
    knots_to_mps,
    parse_states,
    propagate,
)


def rec(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "X",
        "lat": 10.0,
        "lon": 20.0,
        "alt_m": 1000.0,
        "gs_mps": 100.0,
        "track_deg": 90.0,
        "vs_mps": 0.0,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_ground_speed_and_track_become_north_and_east_components() -> None:
    sv = parse_states([rec(gs_mps=100.0, track_deg=30.0)])
    assert sv.vn_mps[0] == pytest.approx(100.0 * math.cos(math.radians(30.0)))
    assert sv.ve_mps[0] == pytest.approx(50.0)


def test_north_and_east_components_are_accepted_instead_of_track() -> None:
    sv = parse_states([rec(gs_mps=None, track_deg=None, vn_mps=3.0, ve_mps=-4.0)])
    assert (sv.vn_mps[0], sv.ve_mps[0]) == (3.0, -4.0)


def test_both_velocity_forms_at_once_are_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_states([rec(), rec(id="Y", vn_mps=1.0, ve_mps=1.0)])
    assert err.value.field == "[1]"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"lat": 90.5}, "[0].lat"),
        ({"lon": -181.0}, "[0].lon"),
        ({"alt_m": "high"}, "[0].alt_m"),
        ({"alt_m": True}, "[0].alt_m"),
        ({"gs_mps": -1.0}, "[0].gs_mps"),
        ({"vs_mps": None}, "[0].vs_mps"),
        ({"id": ""}, "[0].id"),
        ({"party": 7}, "[0].party"),
    ],
)
def test_each_invalid_field_is_named_with_its_index(
    override: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_states([rec(**override)])
    assert err.value.field == field


def test_non_array_input_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        parse_states({"id": "X"})


def test_party_is_kept_for_per_party_zones() -> None:
    sv = parse_states([rec(party="red"), rec(id="Y")])
    assert sv.parties == ("red", None)


def test_ecef_velocity_keeps_ground_speed_and_is_tangent_to_the_sphere() -> None:
    sv = parse_states([rec(lat=89.99, lon=-179.0, gs_mps=230.0, track_deg=123.0)])
    kin = kinematics(sv)
    v = (kin.vx[0], kin.vy[0], kin.vz[0])
    u = (kin.ux[0], kin.uy[0], kin.uz[0])
    assert math.hypot(*v) == pytest.approx(230.0)
    assert sum(a * b for a, b in zip(u, v, strict=True)) == pytest.approx(0.0, abs=1e-9)


def test_unit_conversions_use_exact_definitions() -> None:
    assert knots_to_mps(3600.0) == pytest.approx(NM_M)
    assert feet_per_minute_to_mps(60.0) == pytest.approx(FT_M)


def test_default_zone_is_5_nm_by_1000_ft_with_no_quantisation_tolerance() -> None:
    zone = TacticalParams().zone
    assert zone.radius_m == 9260.0
    assert zone.half_height_m == pytest.approx(1000 * FT_M)
    assert zone.effective_half_height_m == zone.half_height_m


def test_unknown_party_gets_the_default_zone() -> None:
    drones = ProtectedZone(50.0, 15.0)
    params = TacticalParams(party_zones={"uss": drones})
    assert params.zone_for("uss") is drones
    assert params.zone_for("other") is params.zone
    assert params.zone_for(None) is params.zone


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"radius_m": 0.0}, "radius_m"),
        ({"half_height_m": -1.0}, "half_height_m"),
        ({"half_height_m": 10.0, "vertical_tolerance_m": -0.5}, "vertical_tolerance_m"),
    ],
)
def test_zone_sizes_are_validated(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ProtectedZone(**kwargs)
    assert err.value.field == field


def test_lookahead_must_be_positive() -> None:
    with pytest.raises(InvalidInput) as err:
        TacticalParams(lookahead_s=0.0)
    assert err.value.field == "lookahead_s"


def test_propagation_moves_along_the_equator_by_ground_speed_times_time() -> None:
    sv = parse_states([rec(lat=0.0, lon=179.99, gs_mps=100.0, track_deg=90.0, vs_mps=2.0)])
    out = propagate(sv, 100.0)
    expected_lon = 179.99 + math.degrees(10_000.0 / EARTH_RADIUS_M) - 360.0
    assert out.lat_deg[0] == pytest.approx(0.0, abs=1e-9)
    assert out.lon_deg[0] == pytest.approx(expected_lon, abs=1e-9)
    assert out.alt_m[0] == pytest.approx(1200.0)
    assert out.ve_mps[0] == pytest.approx(100.0)


def test_propagation_over_the_pole_comes_out_flying_south() -> None:
    sv = parse_states([rec(lat=89.99, lon=10.0, gs_mps=200.0, track_deg=0.0)])
    gap = math.radians(0.01) * EARTH_RADIUS_M
    out = propagate(sv, 2 * gap / 200.0)
    assert out.lat_deg[0] == pytest.approx(89.99, abs=1e-6)
    assert out.lon_deg[0] == pytest.approx(-170.0, abs=1e-6)
    assert out.vn_mps[0] == pytest.approx(-200.0, abs=1e-6)


def test_align_drops_stale_reports_and_brings_the_rest_to_now() -> None:
    sv = parse_states([rec(id="old"), rec(id="new", gs_mps=0.0, vs_mps=1.0)])
    out = align(sv, [0.0, 95.0], now_s=100.0, max_age_s=30.0)
    assert out.ids == ("new",)
    assert out.alt_m[0] == pytest.approx(1005.0)


def test_absurd_altitudes_and_speeds_are_rejected_with_their_index() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_states([rec(), rec(id="Y", alt_m=1e9)])
    assert err.value.field == "[1].alt_m"
    with pytest.raises(InvalidInput) as err:
        parse_states([rec(vs_mps=-1e6)])
    assert err.value.field == "[0].vs_mps"
