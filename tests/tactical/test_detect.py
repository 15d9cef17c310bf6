"""Detection maths: hand-worked geometries, and agreement with an independent sampled model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.tactical.detect import Conflicts, detect, detect_all_pairs
from deconflict.tactical.separation import FT_M, ProtectedZone, TacticalParams
from deconflict.tactical.state import EARTH_RADIUS_M, kinematics

from .helpers import Aircraft, bearing_deg, haversine_m, lats, lons, offset, polar, states

R, H, T = 9260.0, 304.8, 300.0
# A flat plane at the pair's midpoint stretches times by about (d / R_E)^2 / 8 relative:
# 1e-5 at 60 km, so hand-worked great-circle figures are compared to 1e-4.
REL = 1e-4
H_EFF = H  # the default vertical tolerance is 0: the zone is exactly the stated one
DEFAULT = TacticalParams()


def head_on(lat: float, lon: float, gap_m: float, gs: float, track: float) -> list[Aircraft]:
    """Two aircraft ``gap_m`` apart flying straight at each other along a great circle."""
    lat_b, lon_b = offset(
        lat, lon, gap_m * math.sin(math.radians(track)), gap_m * math.cos(math.radians(track))
    )
    back = bearing_deg(lat_b, lon_b, lat, lon)
    return [
        (lat, lon, 10_000.0, *polar(gs, track), 0.0),
        (lat_b, lon_b, 10_000.0, *polar(gs, back), 0.0),
    ]


def only(c: Conflicts) -> dict[str, float]:
    assert len(c) == 1, c
    return {f: float(getattr(c, f)[0]) for f in ("tcpa_s", "dcpa_m", "t_in_s", "t_out_s", "los")}


def test_head_on_pair_gets_entry_exit_and_closest_approach_times() -> None:
    c = only(detect(states(head_on(0.0, 0.0, 60_000.0, 200.0, 90.0)), DEFAULT))
    assert c["tcpa_s"] == pytest.approx(150.0, rel=REL)
    assert c["dcpa_m"] == pytest.approx(0.0, abs=0.5)
    assert c["t_in_s"] == pytest.approx((60_000.0 - R) / 400.0, rel=REL)
    assert c["t_out_s"] == pytest.approx((60_000.0 + R) / 400.0, rel=REL)
    assert c["los"] == 0.0


def test_exit_time_is_clipped_to_the_lookahead() -> None:
    c = only(detect(states(head_on(0.0, 0.0, 120_000.0, 200.0, 90.0)), DEFAULT))
    assert c["t_in_s"] == pytest.approx((120_000.0 - R) / 400.0, rel=REL)
    assert c["t_out_s"] == T
    assert c["tcpa_s"] == T


def test_loss_beyond_the_lookahead_is_not_a_conflict() -> None:
    assert len(detect(states(head_on(0.0, 0.0, 130_000.0, 200.0, 90.0)), DEFAULT)) == 0


def test_current_loss_is_a_conflict_entered_at_time_zero() -> None:
    pair: list[Aircraft] = [(45.0, 7.0, 5000.0, 0.0, 0.0, 0.0), (45.05, 7.0, 5100.0, 0.0, 0.0, 0.0)]
    c = only(detect(states(pair), DEFAULT))
    assert c["los"] == 1.0
    assert c["t_in_s"] == 0.0
    assert c["t_out_s"] == T


def test_diverging_pair_outside_the_zone_is_not_a_conflict() -> None:
    pair = head_on(0.0, 0.0, 20_000.0, 200.0, 90.0)
    (la, lo, z, vn, ve, vs), (lb, lob, zb, vnb, veb, vsb) = pair
    apart: list[Aircraft] = [(la, lo, z, -vn, -ve, vs), (lb, lob, zb, -vnb, -veb, vsb)]
    assert len(detect(states(apart), DEFAULT)) == 0


def test_closest_approach_beyond_the_radius_is_not_a_conflict() -> None:
    # Parallel tracks 10 km apart: never closer than 10 km > 5 NM.
    pair: list[Aircraft] = [
        (0.0, 0.0, 10_000.0, 0.0, 200.0, 0.0),
        (10_000.0 / EARTH_RADIUS_M * 180 / math.pi, 0.2, 10_000.0, 0.0, -200.0, 0.0),
    ]
    assert len(detect(states(pair), DEFAULT)) == 0


def test_adjacent_flight_levels_reported_a_full_thousand_feet_apart_are_not_a_conflict() -> None:
    # FL330 and FL340 read as 33,000 and 34,025 ft: not closer than H, on top of each other.
    pair: list[Aircraft] = [
        (50.0, 0.0, 33_000 * FT_M, 200.0, 0.0, 0.0),
        (50.0, 0.0, 34_025 * FT_M, -200.0, 0.0, 0.0),
    ]
    assert len(detect(states(pair), DEFAULT)) == 0


def test_vertical_spacing_just_inside_the_half_height_is_a_conflict() -> None:
    # Issue 16: 975 ft apart is inside a 1,000 ft half-height; quantisation means caution.
    pair: list[Aircraft] = [
        (50.0, 0.0, 33_000 * FT_M, 200.0, 0.0, 0.0),
        (50.0, 0.0, 33_975 * FT_M, -200.0, 0.0, 0.0),
    ]
    assert only(detect(states(pair), DEFAULT))["los"] == 1.0


def test_climb_through_a_level_aircraft_sets_entry_and_exit_from_the_vertical() -> None:
    pair: list[Aircraft] = [
        (50.0, 0.0, 10_000.0, 0.0, 0.0, 0.0),
        (50.0, 0.0, 9_000.0, 0.0, 0.0, 10.0),
    ]
    c = only(detect(states(pair), DEFAULT))
    assert c["t_in_s"] == pytest.approx((1000.0 - H_EFF) / 10.0)
    assert c["t_out_s"] == pytest.approx((1000.0 + H_EFF) / 10.0)


def test_pair_straddling_the_antimeridian_is_detected_at_the_right_distance() -> None:
    pair = head_on(10.0, 179.9, 40_000.0, 200.0, 90.0)
    assert pair[1][1] < 0  # the second aircraft is across the antimeridian
    c = only(detect(states(pair), DEFAULT))
    assert c["t_in_s"] == pytest.approx((40_000.0 - R) / 400.0, rel=REL)


def test_pair_converging_over_the_pole_is_detected() -> None:
    # Both flying due north from opposite sides of the pole, 0.1 degree of latitude from it.
    pair: list[Aircraft] = [
        (89.9, 0.0, 10_000.0, 200.0, 0.0, 0.0),
        (89.9, 180.0, 10_000.0, 200.0, 0.0, 0.0),
    ]
    gap = haversine_m(89.9, 0.0, 89.9, 180.0)
    c = only(detect(states(pair), DEFAULT))
    assert c["tcpa_s"] == pytest.approx(gap / 400.0, rel=REL)
    assert c["t_in_s"] == pytest.approx((gap - R) / 400.0, rel=REL)


def test_party_zones_judge_a_mixed_pair_with_the_larger_zone() -> None:
    drones = ProtectedZone(50.0, 15.0)
    params = TacticalParams(party_zones={"dss": drones})
    pair: list[Aircraft] = [(50.0, 0.0, 100.0, 0.0, 0.0, 0.0), (50.001, 0.0, 100.0, 0.0, 0.0, 0.0)]
    # 111 m apart: clear for two drones, a loss when either aircraft has the default zone.
    assert len(detect(states(pair, ["dss", "dss"]), params)) == 0
    assert len(detect(states(pair, ["dss", "air"]), params)) == 1


def test_results_are_sorted_by_pair_with_the_smaller_index_first() -> None:
    crowd: list[Aircraft] = [(50.0, 0.001 * k, 1000.0, 0.0, 0.0, 0.0) for k in range(5)]
    c = detect(states(crowd[::-1]), DEFAULT)
    pairs = list(zip(c.i.tolist(), c.j.tolist(), strict=True))
    assert pairs == sorted(pairs)
    assert all(i < j for i, j in pairs)
    assert len(pairs) == 10


def test_empty_and_single_aircraft_inputs_have_no_conflicts() -> None:
    assert len(detect(states([]), DEFAULT)) == 0
    assert len(detect(states([(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)]), DEFAULT)) == 0


def test_horizontal_distance_now_matches_the_great_circle_distance() -> None:
    # Chord vs great-circle arc: d^3 / 24 R_E^2 is under a millimetre at 10 km.
    sv = states([(60.0, 179.99, 0.0, 0.0, 0.0, 0.0), (60.05, -179.95, 0.0, 0.0, 0.0, 0.0)])
    kin = kinematics(sv)
    chord = EARTH_RADIUS_M * math.dist(
        (kin.ux[0], kin.uy[0], kin.uz[0]), (kin.ux[1], kin.uy[1], kin.uz[1])
    )
    assert chord == pytest.approx(haversine_m(60.0, 179.99, 60.05, -179.95), abs=1e-3)


# --- Independent formulation: sample the separation every 10 ms in each pair's plane. ---

STEP = 0.01


def sampled(
    a: Aircraft, b: Aircraft, radius: float, half: float, lookahead: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, horizontal distances and loss flags, built from east/north axes at the midpoint.

    Independent of the detector's algebra: positions are stepped in time and measured, with
    the tangent plane spanned by explicit east/north unit vectors of the midpoint.
    """

    def ecef(lat: float, lon: float) -> np.ndarray:
        p, q = math.radians(lat), math.radians(lon)
        return np.array([math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p)])

    def axes(lat: float, lon: float) -> tuple[np.ndarray, np.ndarray]:
        p, q = math.radians(lat), math.radians(lon)
        east = np.array([-math.sin(q), math.cos(q), 0.0])
        north = np.array([-math.sin(p) * math.cos(q), -math.sin(p) * math.sin(q), math.cos(p)])
        return east, north

    ua, ub = ecef(a[0], a[1]), ecef(b[0], b[1])
    mid = (ua + ub) / np.linalg.norm(ua + ub)
    mlat = math.degrees(math.asin(max(-1.0, min(1.0, mid[2]))))
    mlon = math.degrees(math.atan2(mid[1], mid[0]))
    e_m, n_m = axes(mlat, mlon)
    if abs(mlat) > 89.9999:  # east/north degenerate exactly at the pole: any orthonormal pair
        e_m = np.cross(mid, np.array([1.0, 0.0, 0.0]))
        e_m /= np.linalg.norm(e_m)
        n_m = np.cross(mid, e_m)
    ea, na = axes(a[0], a[1])
    eb, nb = axes(b[0], b[1])
    va = a[3] * na + a[4] * ea
    vb = b[3] * nb + b[4] * eb
    t = np.arange(0.0, lookahead + STEP / 2, STEP)
    rel = EARTH_RADIUS_M * (ub - ua)[None, :] + (vb - va)[None, :] * t[:, None]
    horiz = np.hypot(rel @ e_m, rel @ n_m)
    dz = (b[2] - a[2]) + (b[5] - a[5]) * t
    return t, horiz, (horiz < radius) & (np.abs(dz) < half)


@settings(max_examples=40, deadline=None)
@given(
    lats,
    lons,
    st.floats(0.0, 250.0),
    st.floats(0.0, 360.0),
    st.floats(0.0, 250.0),
    st.floats(0.0, 360.0),
    st.floats(-30_000.0, 30_000.0),
    st.floats(-30_000.0, 30_000.0),
    st.floats(-600.0, 600.0),
    st.floats(-15.0, 15.0),
)
def test_detection_agrees_with_a_sampled_brute_force_model(
    lat: float,
    lon: float,
    gs_a: float,
    trk_a: float,
    gs_b: float,
    trk_b: float,
    east: float,
    north: float,
    dz: float,
    dvs: float,
) -> None:
    lat_b, lon_b = offset(lat, lon, east, north)
    a: Aircraft = (lat, lon, 5000.0, *polar(gs_a, trk_a), 0.0)
    b: Aircraft = (lat_b, lon_b, 5000.0 + dz, *polar(gs_b, trk_b), dvs)
    found = detect_all_pairs(states([a, b]), DEFAULT)
    t, horiz, loss = sampled(a, b, R, H_EFF, T)
    closure = 2 * 250.0 + 30.0  # bound on how fast any separation changes, m/s
    slack = closure * STEP + 1e-3

    # Every sampled loss lies inside the reported interval, and a reported interval of
    # real length contains samples of loss at both ends.
    if loss.any():
        assert len(found) == 1
        assert found.t_in_s[0] <= t[loss][0] + 1e-6
        assert found.t_out_s[0] >= t[loss][-1] - 1e-6
    if len(found) == 1 and found.t_out_s[0] - found.t_in_s[0] > 4 * STEP:
        assert loss.any()
        assert t[loss][0] == pytest.approx(found.t_in_s[0], abs=STEP + 1e-6)
        assert t[loss][-1] == pytest.approx(found.t_out_s[0], abs=STEP + 1e-6)
    # The closest approach is the sampled minimum.
    if len(found) == 1:
        assert found.dcpa_m[0] <= horiz.min() + 1e-6
        assert found.dcpa_m[0] >= horiz.min() - slack
        k = round(float(found.tcpa_s[0]) / STEP)
        assert horiz[k] == pytest.approx(found.dcpa_m[0], abs=slack)
