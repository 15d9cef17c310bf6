"""The broad phase is conservative: it never drops a pair the dense pass calls a conflict."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.tactical.broadphase import candidate_pairs
from deconflict.tactical.detect import detect, detect_all_pairs, per_aircraft_zones
from deconflict.tactical.separation import ProtectedZone, TacticalParams
from deconflict.tactical.state import kinematics

from .helpers import Aircraft, bearing_deg, offset, polar, states, traffic

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def params_for(radius: float, half: float, lookahead: float) -> TacticalParams:
    return TacticalParams(ProtectedZone(radius, half), lookahead)


@PROPERTY
@given(traffic())
def test_candidates_include_every_pair_the_dense_pass_finds(
    case: tuple[list[Aircraft], float, float, float],
) -> None:
    aircraft, radius, half, lookahead = case
    sv = states(aircraft)
    params = params_for(radius, half, lookahead)
    dense = detect_all_pairs(sv, params)
    kin = kinematics(sv)
    r, h = per_aircraft_zones(sv, params)
    i, j = candidate_pairs(kin, r, h, lookahead)
    candidates = set(zip(i.tolist(), j.tolist(), strict=True))
    assert dense.pairs() <= candidates


@PROPERTY
@given(traffic())
def test_detect_returns_exactly_the_dense_results(
    case: tuple[list[Aircraft], float, float, float],
) -> None:
    aircraft, radius, half, lookahead = case
    sv = states(aircraft)
    params = params_for(radius, half, lookahead)
    fast, dense = detect(sv, params), detect_all_pairs(sv, params)
    assert fast.pairs() == dense.pairs()
    for field in ("tcpa_s", "dcpa_m", "t_in_s", "t_out_s", "los"):
        assert np.array_equal(getattr(fast, field), getattr(dense, field)), field


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([-89.99, -45.0, 0.0, 60.0, 89.99]),
    st.sampled_from([-179.999, 0.0, 179.999]),
    st.floats(0.0, 360.0),
    st.floats(0.99, 0.9999),
)
def test_fastest_head_on_pair_meeting_at_the_end_of_the_lookahead_is_a_candidate(
    lat: float, lon: float, track: float, fraction: float
) -> None:
    # The worst case of the proof: both at top speed, closing head-on, entering the zone
    # just before T. Their distance now is almost R + 2 V T, the search radius's limit.
    gs, radius, lookahead = 250.0, 9260.0, 300.0
    start = (radius + 2 * gs * lookahead) * fraction
    vn, ve = polar(gs, track)
    lat_b, lon_b = offset(lat, lon, ve / gs * start, vn / gs * start)
    vn_b, ve_b = polar(gs, bearing_deg(lat_b, lon_b, lat, lon))
    sv = states([(lat, lon, 0.0, vn, ve, 0.0), (lat_b, lon_b, 0.0, vn_b, ve_b, 0.0)])
    params = params_for(radius, 304.8, lookahead)
    assert detect_all_pairs(sv, params).pairs() == {(0, 1)}
    assert detect(sv, params).pairs() == {(0, 1)}


def test_pairs_far_beyond_reach_are_not_candidates() -> None:
    # Two aircraft 500 km apart cannot meet within 300 s at 250 m/s (150 km of closure).
    sv = states([(50.0, 0.0, 10_000.0, 250.0, 0.0, 0.0), (54.5, 0.0, 10_000.0, -250.0, 0.0, 0.0)])
    params = TacticalParams()
    kin = kinematics(sv)
    r, h = per_aircraft_zones(sv, params)
    i, _ = candidate_pairs(kin, r, h, params.lookahead_s)
    assert i.shape[0] == 0


def test_level_aircraft_on_distant_flight_levels_are_not_candidates() -> None:
    # Same place, same velocity, 10,000 ft apart and level: the vertical layers separate them.
    sv = states([(50.0, 0.0, 3_048.0, 200.0, 0.0, 0.0), (50.0, 0.0, 6_096.0, 200.0, 0.0, 0.0)])
    params = TacticalParams()
    kin = kinematics(sv)
    r, h = per_aircraft_zones(sv, params)
    i, _ = candidate_pairs(kin, r, h, params.lookahead_s)
    assert i.shape[0] == 0


def test_a_climber_crossing_many_layers_is_paired_once_with_each_level_aircraft() -> None:
    climber: Aircraft = (50.0, 0.0, 1_000.0, 0.0, 0.0, 20.0)  # sweeps 6,000 m in 300 s
    levels: list[Aircraft] = [(50.0, 0.0, alt, 0.0, 0.0, 0.0) for alt in (1_500.0, 4_000.0)]
    sv = states([climber, *levels])
    params = TacticalParams()
    kin = kinematics(sv)
    r, h = per_aircraft_zones(sv, params)
    i, j = candidate_pairs(kin, r, h, params.lookahead_s)
    pairs = list(zip(i.tolist(), j.tolist(), strict=True))
    assert sorted(pairs) == [(0, 1), (0, 2)]


@PROPERTY
@given(traffic(), st.data())
def test_detect_matches_the_dense_pass_with_mixed_party_zones(
    case: tuple[list[Aircraft], float, float, float], data: st.DataObject
) -> None:
    aircraft, radius, half, lookahead = case
    parties = data.draw(
        st.lists(
            st.sampled_from(["uss", "air", None]),
            min_size=len(aircraft),
            max_size=len(aircraft),
        )
    )
    sv = states(aircraft, parties)
    params = TacticalParams(
        ProtectedZone(radius, half),
        lookahead,
        party_zones={"uss": ProtectedZone(50.0, 15.0), "air": ProtectedZone(9260.0, 304.8)},
    )
    assert detect(sv, params).pairs() == detect_all_pairs(sv, params).pairs()


def test_very_long_vertical_sweeps_still_pair_correctly() -> None:
    # 100 m/s climb over a day-long lookahead: bins thicken instead of multiplying.
    fast: list[Aircraft] = [(50.0, 0.0, 0.0, 0.0, 0.0, 100.0), (50.0, 0.0, 50_000.0, 0.0, 0.0, 0.0)]
    sv = states(fast)
    params = TacticalParams(lookahead_s=86_400.0)
    assert detect(sv, params).pairs() == detect_all_pairs(sv, params).pairs() == {(0, 1)}
