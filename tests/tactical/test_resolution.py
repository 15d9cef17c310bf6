"""Resolution advisories: each manoeuvre type clears a textbook conflict, AUTO clears any."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deconflict.tactical.detect import detect
from deconflict.tactical.resolution import Limits, Maneuver, Resolution, resolve
from deconflict.tactical.separation import TacticalParams
from deconflict.tactical.state import StateVectors

from .helpers import Aircraft, bearing_deg, lats, lons, offset, polar, states

PARAMS = TacticalParams()


def head_on() -> list[Aircraft]:
    lat_b, lon_b = offset(50.0, 5.0, 60_000.0, 0.0)
    back = bearing_deg(lat_b, lon_b, 50.0, 5.0)
    return [
        (50.0, 5.0, 10_000.0, *polar(220.0, 90.0), 0.0),
        (lat_b, lon_b, 10_000.0, *polar(220.0, back), 0.0),
    ]


def crossing() -> list[Aircraft]:
    # Both reach the same point in 150 s, one flying east, the other north.
    lat_a, lon_a = offset(50.0, 5.0, -30_000.0, 0.0)
    lat_b, lon_b = offset(50.0, 5.0, 0.0, -30_000.0)
    return [
        (lat_a, lon_a, 10_000.0, *polar(200.0, bearing_deg(lat_a, lon_a, 50.0, 5.0)), 0.0),
        (lat_b, lon_b, 10_000.0, *polar(200.0, bearing_deg(lat_b, lon_b, 50.0, 5.0)), 0.0),
    ]


def test_combined_advisory_clears_a_head_on_conflict_with_both_turning_right() -> None:
    res = resolve(states(head_on()), PARAMS, Maneuver.COMBINED)
    assert res.cleared == {("A000", "A001")}
    assert res.unresolved == frozenset() and res.induced == frozenset()
    assert [adv.id for adv in res.advisories] == ["A000", "A001"]
    assert all(adv.d_track_deg > 0 for adv in res.advisories)


def test_vertical_advisory_clears_a_co_altitude_conflict_by_splitting_the_pair() -> None:
    res = resolve(states(head_on()), PARAMS, Maneuver.VERTICAL)
    assert res.cleared == {("A000", "A001")}
    rates = sorted(adv.vs_mps for adv in res.advisories)
    assert rates[0] < 0 < rates[1]
    assert all(adv.d_track_deg == 0 and adv.d_gs_mps == 0 for adv in res.advisories)


def test_vertical_advisory_keeps_the_higher_aircraft_above() -> None:
    pair = head_on()
    pair[0] = (*pair[0][:2], 10_100.0, *pair[0][3:])
    res = resolve(states(pair), PARAMS, Maneuver.VERTICAL)
    by_id = {adv.id: adv for adv in res.advisories}
    assert by_id["A000"].vs_mps > 0 > by_id["A001"].vs_mps


def test_heading_only_advisory_clears_a_crossing_conflict_at_constant_speed() -> None:
    res = resolve(states(crossing()), PARAMS, Maneuver.HEADING)
    assert res.cleared == {("A000", "A001")}
    assert all(abs(adv.d_gs_mps) < 1e-6 and adv.d_track_deg != 0 for adv in res.advisories)


def test_speed_only_advisory_clears_a_crossing_conflict_on_the_same_tracks() -> None:
    res = resolve(states(crossing()), PARAMS, Maneuver.SPEED)
    assert res.cleared == {("A000", "A001")}
    assert all(abs(adv.d_track_deg) < 1e-6 and adv.d_gs_mps != 0 for adv in res.advisories)
    assert sorted(adv.d_gs_mps > 0 for adv in res.advisories) == [False, True]


def test_no_conflicts_means_no_advisories() -> None:
    far: list[Aircraft] = [(0.0, 0.0, 0.0, 100.0, 0.0, 0.0), (10.0, 0.0, 0.0, 100.0, 0.0, 0.0)]
    res = resolve(states(far), PARAMS)
    assert res.advisories == () and res.cleared == frozenset()


def test_a_current_loss_is_reported_unresolved_but_still_opened() -> None:
    pair: list[Aircraft] = [
        (50.0, 5.0, 10_000.0, *polar(200.0, 90.0), 0.0),
        (50.0, 5.05, 10_000.0, *polar(200.0, 270.0), 0.0),
    ]
    res = resolve(states(pair), PARAMS, Maneuver.COMBINED)
    assert res.unresolved == {("A000", "A001")}
    assert len(res.advisories) == 2


def flown(sv: StateVectors, res: Resolution) -> StateVectors:
    """The states with each advisory's ground speed, track and vertical speed applied."""
    vn, ve, vs = sv.vn_mps.copy(), sv.ve_mps.copy(), sv.vs_mps.copy()
    for adv in res.advisories:
        k = sv.ids.index(adv.id)
        vn[k], ve[k] = polar(adv.gs_mps, adv.track_deg)
        vs[k] = adv.vs_mps
    return sv.with_velocities(vn, ve, vs)


@st.composite
def conflicting_pair(draw: st.DrawFn) -> list[Aircraft]:
    """Two aircraft built to pass within the zone at some time in (30 s, 300 s)."""
    lat, lon = draw(lats), draw(lons)
    va = polar(draw(st.floats(30.0, 250.0)), draw(st.floats(0.0, 360.0)))
    vb = polar(draw(st.floats(30.0, 250.0)), draw(st.floats(0.0, 360.0)))
    miss = draw(st.floats(0.0, 9000.0))
    side = math.radians(draw(st.floats(0.0, 360.0)))
    tc = draw(st.floats(30.0, 300.0))
    rel_n, rel_e = vb[0] - va[0], vb[1] - va[1]
    lat_b, lon_b = offset(
        lat, lon, miss * math.sin(side) - rel_e * tc, miss * math.cos(side) - rel_n * tc
    )
    dz = draw(st.floats(-250.0, 250.0))
    vs_b = draw(st.floats(-10.0, 10.0))
    return [
        (lat, lon, 8000.0, *va, 0.0),
        (lat_b, lon_b, 8000.0 + dz - vs_b * tc, *vb, vs_b),
    ]


@settings(max_examples=80, deadline=None)
@given(conflicting_pair())
def test_auto_advisory_clears_the_conflict_it_was_made_for_given_20_s_warning(
    pair: list[Aircraft],
) -> None:
    # Within the default limits (150 m/s of velocity change, 30 m/s vertical speed) a
    # loss a few seconds away may be unavoidable; 20 s of warning always suffices.
    sv = states(pair)
    found = detect(sv, PARAMS)
    assume(len(found) == 1 and found.t_in_s[0] >= 20.0)
    res = resolve(sv, PARAMS)
    assert res.cleared == {("A000", "A001")}
    # Independently: fly the advisories as printed and detect again.
    assert len(detect(flown(sv, res), PARAMS)) == 0


@settings(max_examples=40, deadline=None)
@given(conflicting_pair())
def test_vertical_advisory_alone_clears_a_conflict_given_20_s_warning(
    pair: list[Aircraft],
) -> None:
    sv = states(pair)
    found = detect(sv, PARAMS)
    assume(len(found) == 1 and found.t_in_s[0] >= 20.0)
    res = resolve(sv, PARAMS, Maneuver.VERTICAL)
    assert res.cleared == {("A000", "A001")}
    assert np.allclose(flown(sv, res).vn_mps, sv.vn_mps)


def test_three_aircraft_converging_on_one_point_are_all_cleared() -> None:
    crowd: list[Aircraft] = []
    for bearing in (0.0, 120.0, 240.0):
        lat, lon = offset(
            50.0,
            5.0,
            40_000.0 * math.sin(math.radians(bearing)),
            40_000.0 * math.cos(math.radians(bearing)),
        )
        crowd.append((lat, lon, 10_000.0, *polar(200.0, bearing_deg(lat, lon, 50.0, 5.0)), 0.0))
    sv = states(crowd)
    assert len(detect(sv, PARAMS)) == 3
    res = resolve(sv, PARAMS)
    assert len(res.cleared) == 3
    assert res.unresolved == frozenset() and res.induced == frozenset()
    assert len(detect(flown(sv, res), PARAMS)) == 0


def test_advisories_respect_the_manoeuvre_limits() -> None:
    # Head-on with 12 s to go: the advice is capped, and the check says it does not clear.
    lat_b, lon_b = offset(50.0, 5.0, 14_000.0, 0.0)
    pair: list[Aircraft] = [
        (50.0, 5.0, 10_000.0, *polar(220.0, 90.0), 0.0),
        (lat_b, lon_b, 10_000.0, *polar(220.0, bearing_deg(lat_b, lon_b, 50.0, 5.0)), 0.0),
    ]
    limits = Limits(max_horizontal_change_mps=20.0, max_vertical_speed_mps=5.0)
    res = resolve(states(pair), PARAMS, limits=limits)
    sv = states(pair)
    for adv in res.advisories:
        k = sv.ids.index(adv.id)
        dn = polar(adv.gs_mps, adv.track_deg)[0] - sv.vn_mps[k]
        de = polar(adv.gs_mps, adv.track_deg)[1] - sv.ve_mps[k]
        assert math.hypot(dn, de) <= 20.0 + 1e-6
        assert abs(adv.vs_mps) <= 5.0 + 1e-9
    assert res.unresolved == {("A000", "A001")}
