"""The sense of a resolution advisory: chosen once, kept, reversed only when it must be.

Issue 16, defect 4. The sense is a property of the pair (``resolution.Sense``): both
aircraft always get complementary manoeuvres, whatever order they are listed in.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.tactical.resolution import Maneuver, Resolution, Sense, resolve
from deconflict.tactical.separation import TacticalParams
from tests.tactical.helpers import Aircraft, bearing_deg, offset, polar, states

PARAMS = TacticalParams()
PAIR = ("A000", "A001")
GS = 220.0


def head_on(gap_m: float, aside_m: float = 0.0, alt_b: float = 10_000.0) -> list[Aircraft]:
    """A flying east, B ``gap_m`` ahead flying back at it, ``aside_m`` north of A's track."""
    lat_b, lon_b = offset(50.0, 5.0, gap_m, aside_m)
    back = bearing_deg(lat_b, lon_b, *offset(50.0, 5.0, 0.0, aside_m))
    return [
        (50.0, 5.0, 10_000.0, *polar(GS, 90.0), 0.0),
        (lat_b, lon_b, alt_b, *polar(GS, back), 0.0),
    ]


def turns(res: Resolution) -> dict[str, float]:
    return {adv.id: adv.d_track_deg for adv in res.advisories}


def test_an_exact_head_on_pair_is_told_to_pass_right_of_each_other() -> None:
    res = resolve(states(head_on(60_000.0)), PARAMS, Maneuver.COMBINED)
    assert res.senses[PAIR] == Sense(horizontal=1, vertical=1)
    assert all(t > 0 for t in turns(res).values()) and len(res.advisories) == 2


def test_a_miss_within_one_percent_of_r_is_symmetric_and_follows_the_rule_of_the_air() -> None:
    # 80 m to the left of each other (under 1 % of 9,260 m): still both turn right.
    res = resolve(states(head_on(60_000.0, aside_m=-80.0)), PARAMS, Maneuver.COMBINED)
    assert res.senses[PAIR].horizontal == 1 and all(t > 0 for t in turns(res).values())


def test_a_clear_miss_to_one_side_sets_the_sense_from_the_geometry() -> None:
    res = resolve(states(head_on(60_000.0, aside_m=-500.0)), PARAMS, Maneuver.COMBINED)
    assert res.senses[PAIR].horizontal == -1 and all(t < 0 for t in turns(res).values())


def test_the_listing_order_of_the_aircraft_changes_nothing() -> None:
    pair = head_on(60_000.0, alt_b=10_000.0)
    forward = resolve(states(pair), PARAMS, Maneuver.COMBINED)
    backward = resolve(states(pair[::-1]), PARAMS, Maneuver.COMBINED)
    # states() names by position: A000 is the first listed, so swap the names back.
    swapped = {("A001" if k == "A000" else "A000"): v for k, v in turns(backward).items()}
    assert swapped.keys() == turns(forward).keys()
    for k, v in turns(forward).items():
        assert abs(swapped[k] - v) < 1e-6


def test_a_kept_sense_holds_against_geometry_that_now_favours_the_other_side() -> None:
    # Told to pass right (sense +1) earlier; now the miss is 500 m to the left.
    res = resolve(
        states(head_on(60_000.0, aside_m=-500.0)),
        PARAMS,
        Maneuver.COMBINED,
        senses={PAIR: Sense(1, 1)},
    )
    assert res.cleared == {PAIR} and res.reversed == frozenset()
    assert all(t > 0 for t in turns(res).values())
    assert res.senses[PAIR].horizontal == 1


def test_a_kept_sense_that_can_no_longer_clear_is_reversed_once() -> None:
    # 9 km to the right and 30 s from closest approach: passing left would need 18.7 km
    # of miss in 30 s, beyond the manoeuvre limits; passing right needs 0.7 km.
    pair = states(head_on(2 * GS * 30.0, aside_m=9000.0))
    kept = resolve(pair, PARAMS, Maneuver.COMBINED, senses={PAIR: Sense(-1, 1)})
    assert kept.reversed == {PAIR} and kept.cleared == {PAIR}
    assert kept.senses[PAIR] == Sense(1, -1, reversed=True)
    assert all(t > 0 for t in turns(kept).values())


def test_a_sense_reversed_once_is_not_reversed_again() -> None:
    pair = states(head_on(2 * GS * 30.0, aside_m=9000.0))
    res = resolve(pair, PARAMS, Maneuver.COMBINED, senses={PAIR: Sense(-1, 1, reversed=True)})
    assert res.reversed == frozenset() and res.unresolved == {PAIR}
    assert all(t < 0 for t in turns(res).values())


def test_co_altitude_level_pairs_split_with_the_later_id_climbing() -> None:
    res = resolve(states(head_on(60_000.0)), PARAMS, Maneuver.VERTICAL)
    rates = {adv.id: adv.vs_mps for adv in res.advisories}
    assert rates["A001"] > 0 > rates["A000"]
    assert res.senses[PAIR].vertical == 1


def test_a_kept_vertical_sense_holds_when_the_reports_cross_over() -> None:
    # A001 was to climb (vertical +1); it is now reported 20 m *below* A000.
    res = resolve(
        states(head_on(60_000.0, alt_b=9_980.0)),
        PARAMS,
        Maneuver.VERTICAL,
        senses={PAIR: Sense(1, 1)},
    )
    rates = {adv.id: adv.vs_mps for adv in res.advisories}
    assert rates["A001"] > 0 > rates["A000"] and res.cleared == {PAIR}


@st.composite
def near_head_on(draw: st.DrawFn) -> list[Aircraft]:
    """A pair closing head-on anywhere off the poles, the miss within metres of zero."""
    lat, lon = draw(st.floats(-70.0, 70.0)), draw(st.floats(-180.0, 180.0))
    track, gs = draw(st.floats(0.0, 360.0)), draw(st.floats(50.0, 250.0))
    gap, aside = draw(st.floats(12_000.0, 100_000.0)), draw(st.floats(-3.0, 3.0))
    t = math.radians(track)
    lat_b, lon_b = offset(lat, lon, gap * math.sin(t), gap * math.cos(t))
    lat_b, lon_b = offset(lat_b, lon_b, aside * math.cos(t), -aside * math.sin(t))
    back = bearing_deg(lat_b, lon_b, lat, lon)
    return [
        (lat, lon, 5000.0, *polar(gs, track), 0.0),
        (lat_b, lon_b, 5000.0, *polar(gs, back), 0.0),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_head_on(), st.floats(-3.0, 3.0), st.floats(-3.0, 3.0))
def test_position_noise_never_reverses_an_aircrafts_turn(
    pair: list[Aircraft], east_m: float, north_m: float
) -> None:
    first = resolve(states(pair), PARAMS, Maneuver.COMBINED)
    # The next pass: B reported a few metres off, as noise would put it.
    b = pair[1]
    moved = [pair[0], (*offset(b[0], b[1], east_m, north_m), *b[2:])]
    later = resolve(states(moved), PARAMS, Maneuver.COMBINED, senses=first.senses)
    assert later.reversed == frozenset()
    before, after = turns(first), turns(later)
    for own, turn in before.items():
        assert turn > 0 and after[own] > 0, (own, turn, after[own])
