"""The tactical detector matches an independent brute-force reference (issue 16).

The reference below is written apart from ``tactical.detect``: plain ``math`` on Python
floats, one pair at a time, every pair, no k-d tree, no filter, no NumPy. It states the
documented rule in its most direct form:

- every aircraft on the sphere of radius ``R_E`` at its latitude and longitude, its
  velocity its north and east components in its own frame;
- each pair judged in the plane tangent to the sphere at the pair's midpoint, with that
  point's own east and north axes (so it shares no algebra with the detector, which works
  in ECEF with a projected relative velocity);
- horizontal loss while the 2D distance is ``< R``, found from the closest point of
  approach (``t_cpa``, ``d_cpa``) and the half-width ``sqrt(R^2 - d_cpa^2) / |v|`` around it;
- vertical loss while ``|dz + w t| < H + tolerance`` (the larger of the two aircraft's);
- a conflict when both hold at one ``t`` in ``[0, T]``.

The two may disagree only on a pair that sits on the zone's boundary, where moving R, H
and T by a hair flips the answer: ``HAIR`` below, one part in a million (9 mm on 5 NM,
0.3 mm on 1,000 ft, 0.3 ms on 300 s), far below anything either computation's rounding
can reach and far above double precision's. Every disagreement is checked to be such a
pair: the reference with the zone and lookahead grown by the hair says conflict, shrunk
by the hair says none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deconflict.tactical.detect import Conflicts, detect, detect_all_pairs
from deconflict.tactical.separation import ProtectedZone, TacticalParams
from deconflict.tactical.state import EARTH_RADIUS_M, StateVectors
from tests.tactical.helpers import Aircraft, boundary_pair, lats, lons, scattered, states, traffic

HAIR = 1e-6
"""Relative change of R, H and T within which a pair counts as on the boundary."""

PARTIES = ("jets", "drones", None)


@dataclass(frozen=True)
class Verdict:
    """What the reference says about one pair."""

    conflict: bool
    t_in_s: float
    t_out_s: float
    d_cpa_m: float
    d_min_m: float  # the closest horizontal distance within [0, T]


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    p, q = math.radians(lat), math.radians(lon)
    return (math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p))


def _east_north(
    lat: float, lon: float
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    p, q = math.radians(lat), math.radians(lon)
    east = (-math.sin(q), math.cos(q), 0.0)
    north = (-math.sin(p) * math.cos(q), -math.sin(p) * math.sin(q), math.cos(p))
    return east, north


def _dot(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(
    a: tuple[float, float, float], b: tuple[float, float, float]
) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _velocity(lat: float, lon: float, vn: float, ve: float) -> tuple[float, float, float]:
    east, north = _east_north(lat, lon)
    return tuple(vn * n + ve * e for n, e in zip(north, east, strict=True))  # type: ignore[return-value]


def _midpoint_axes(
    ua: tuple[float, float, float], ub: tuple[float, float, float]
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """East and north at the pair's midpoint (any orthonormal pair at a pole)."""
    s = (ua[0] + ub[0], ua[1] + ub[1], ua[2] + ub[2])
    n = math.sqrt(_dot(s, s))
    if n < 1e-12:  # antipodes: 20,000 km apart, any plane will do
        s, n = ua, 1.0
    m = (s[0] / n, s[1] / n, s[2] / n)
    horizontal = math.hypot(m[0], m[1])
    if horizontal < 1e-9:
        east = _cross((0.0, 1.0, 0.0), m)
        e_n = math.sqrt(_dot(east, east))
        east = (east[0] / e_n, east[1] / e_n, east[2] / e_n)
        return east, _cross(m, east)
    lat = math.degrees(math.asin(max(-1.0, min(1.0, m[2]))))
    lon = math.degrees(math.atan2(m[1], m[0]))
    return _east_north(lat, lon)


def reference_pair(
    a: Aircraft, b: Aircraft, radius: float, half: float, lookahead: float
) -> Verdict:
    """The rule for one pair, written out directly (see the module docstring)."""
    ua, ub = _unit(a[0], a[1]), _unit(b[0], b[1])
    east, north = _midpoint_axes(ua, ub)
    chord = tuple(EARTH_RADIUS_M * (q - p) for p, q in zip(ua, ub, strict=True))
    va, vb = _velocity(a[0], a[1], a[3], a[4]), _velocity(b[0], b[1], b[3], b[4])
    rel_v = tuple(q - p for p, q in zip(va, vb, strict=True))
    x, y = _dot(chord, east), _dot(chord, north)  # type: ignore[arg-type]
    vx, vy = _dot(rel_v, east), _dot(rel_v, north)  # type: ignore[arg-type]

    speed2 = vx * vx + vy * vy
    d_min = math.hypot(x, y)
    if speed2 > 0.0:
        t_cpa = -(x * vx + y * vy) / speed2
        d_cpa = math.hypot(x + vx * t_cpa, y + vy * t_cpa)
        t_min = min(max(t_cpa, 0.0), lookahead)
        d_min = math.hypot(x + vx * t_min, y + vy * t_min)
        if d_cpa < radius:
            half_width = math.sqrt(radius * radius - d_cpa * d_cpa) / math.sqrt(speed2)
            h_in, h_out = t_cpa - half_width, t_cpa + half_width
        else:
            h_in, h_out = math.inf, -math.inf
    else:
        d_cpa = math.hypot(x, y)
        h_in, h_out = (-math.inf, math.inf) if d_cpa < radius else (math.inf, -math.inf)

    dz, w = b[2] - a[2], b[5] - a[5]
    if w != 0.0:
        lo, hi = (-half - dz) / w, (half - dz) / w
        v_in, v_out = min(lo, hi), max(lo, hi)
    else:
        v_in, v_out = (-math.inf, math.inf) if abs(dz) < half else (math.inf, -math.inf)

    t_in, t_out = max(h_in, v_in, 0.0), min(h_out, v_out, lookahead)
    now = math.hypot(x, y) < radius and abs(dz) < half
    return Verdict(now or t_in < t_out, t_in, t_out, d_cpa, d_min)


def reference(
    aircraft: list[Aircraft],
    zones: list[ProtectedZone],
    lookahead: float,
    scale: float = 1.0,
) -> set[tuple[int, int]]:
    """Every conflicting pair ``(i, j)``, ``i < j``; ``scale`` grows or shrinks R, H, T."""
    out: set[tuple[int, int]] = set()
    for i in range(len(aircraft)):
        for j in range(i + 1, len(aircraft)):
            radius = max(zones[i].radius_m, zones[j].radius_m) * scale
            half = (
                max(
                    zones[i].half_height_m + zones[i].vertical_tolerance_m,
                    zones[j].half_height_m + zones[j].vertical_tolerance_m,
                )
                * scale
            )
            if reference_pair(aircraft[i], aircraft[j], radius, half, lookahead * scale).conflict:
                out.add((i, j))
    return out


@st.composite
def zoned_traffic(
    draw: st.DrawFn,
) -> tuple[list[Aircraft], list[str | None], TacticalParams]:
    """The shared traffic strategy (poles, antimeridian, boundary pairs) with party zones
    and vertical tolerances on top."""
    aircraft, radius, half, lookahead = draw(traffic())
    tolerance = draw(st.sampled_from([0.0, 7.62]))
    lat0, lon0 = (aircraft[0][0], aircraft[0][1]) if aircraft else (draw(lats), draw(lons))
    for a, b in draw(st.lists(boundary_pair(lat0, lon0, radius, lookahead), max_size=2)):
        # Put the pair near the vertical boundary too: |dz| within 6 % of H + tolerance.
        dz = (half + tolerance) * draw(st.floats(0.94, 1.06)) * draw(st.sampled_from([-1, 1]))
        aircraft += [a, (*b[:2], a[2] + dz, *b[3:])]
    drones = ProtectedZone(
        draw(st.sampled_from([30.0, 500.0])),
        draw(st.sampled_from([10.0, 100.0])),
        draw(st.sampled_from([0.0, 3.0])),
    )
    parties = [draw(st.sampled_from(PARTIES)) for _ in aircraft]
    params = TacticalParams(ProtectedZone(radius, half, tolerance), lookahead, {"drones": drones})
    return aircraft, parties, params


def _zones(parties: list[str | None], params: TacticalParams) -> list[ProtectedZone]:
    return [params.zone_for(p) for p in parties]


def _sv(aircraft: list[Aircraft], parties: list[str | None]) -> StateVectors:
    return states(aircraft, parties if any(p is not None for p in parties) else None)


def _assert_only_boundary_pairs_differ(
    found: Conflicts,
    aircraft: list[Aircraft],
    parties: list[str | None],
    params: TacticalParams,
) -> None:
    zones = _zones(parties, params)
    expected = reference(aircraft, zones, params.lookahead_s)
    differing = found.pairs() ^ expected
    if not differing:
        return
    grown = reference(aircraft, zones, params.lookahead_s, 1.0 + HAIR)
    shrunk = reference(aircraft, zones, params.lookahead_s, 1.0 - HAIR)
    for pair in differing:
        assert pair in grown and pair not in shrunk, (
            f"pair {pair} differs and is not within {HAIR:g} of the boundary: "
            f"detector {pair in found.pairs()}, reference {pair in expected}"
        )


PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(zoned_traffic())
def test_the_detector_finds_the_pairs_the_brute_force_reference_finds(
    case: tuple[list[Aircraft], list[str | None], TacticalParams],
) -> None:
    aircraft, parties, params = case
    found = detect(_sv(aircraft, parties), params)
    _assert_only_boundary_pairs_differ(found, aircraft, parties, params)


@PROPERTY
@given(zoned_traffic())
def test_the_dense_pass_finds_the_pairs_the_brute_force_reference_finds(
    case: tuple[list[Aircraft], list[str | None], TacticalParams],
) -> None:
    aircraft, parties, params = case
    found = detect_all_pairs(_sv(aircraft, parties), params)
    _assert_only_boundary_pairs_differ(found, aircraft, parties, params)


@PROPERTY
@given(zoned_traffic())
def test_entry_exit_and_closest_approach_agree_with_the_reference_on_clear_cut_pairs(
    case: tuple[list[Aircraft], list[str | None], TacticalParams],
) -> None:
    aircraft, parties, params = case
    zones = _zones(parties, params)
    found = detect(_sv(aircraft, parties), params)
    for k, (i, j) in enumerate(zip(found.i.tolist(), found.j.tolist(), strict=True)):
        radius = max(zones[i].radius_m, zones[j].radius_m)
        half = max(z.half_height_m + z.vertical_tolerance_m for z in (zones[i], zones[j]))
        ref = reference_pair(aircraft[i], aircraft[j], radius, half, params.lookahead_s)
        if not ref.conflict:
            continue  # a boundary pair, checked by the tests above
        # Sensitivity of the interval ends grows as the closest approach nears R; compare
        # only pairs whose closest approach is at least one part in a thousand inside.
        a, b = aircraft[i], aircraft[j]
        closing = math.hypot(b[3] - a[3], b[4] - a[4])
        if ref.d_cpa_m < radius * (1 - 1e-3) and closing > 1.0:
            assert math.isclose(found.t_in_s[k], ref.t_in_s, abs_tol=1e-3), (i, j)
            assert math.isclose(found.t_out_s[k], ref.t_out_s, abs_tol=1e-3), (i, j)
        # The closest approach within [0, T] is well conditioned everywhere: a millimetre.
        assert math.isclose(found.dcpa_m[k], ref.d_min_m, abs_tol=1e-3), (i, j)


# --- Pairs put on the boundary by construction: R, H or T set a fraction off it. ---

OFF = st.one_of(
    st.floats(-1e-3, 1e-3),
    st.sampled_from([-1e-4, -1e-5, -3e-6, 3e-6, 1e-5, 1e-4]),
)
"""How far off the boundary the zone is put, relative; beyond HAIR the answer is known."""
BIG = 1e6


@st.composite
def on_the_boundary(draw: st.DrawFn) -> tuple[list[Aircraft], TacticalParams, float, bool]:
    """A pair and a zone whose R, H or T sits ``off`` (relative) from the pair's boundary.

    Returns the pair, the parameters, ``off`` and whether the pair must conflict
    (``off > 0``: the zone reaches past the pair's closest approach, level spacing or
    entry time). The boundary is computed by the reference, so a detector that is off by
    more than ``|off|`` anywhere in its maths gives the other answer.
    """
    lat0, lon0 = draw(lats), draw(lons)
    a = draw(scattered(lat0, lon0, 50_000.0))
    b = draw(scattered(lat0, lon0, 50_000.0))
    off = draw(OFF)
    which = draw(st.sampled_from(["R", "H", "T"]))
    lookahead = 600.0
    if which == "R":
        b = (*b[:2], a[2], *b[3:5], a[5])  # level together: only the horizontal matters
        d_min = reference_pair(a, b, 1.0, BIG, lookahead).d_min_m
        assume(d_min > 1.0)
        params = TacticalParams(ProtectedZone(d_min * (1 + off), BIG), lookahead)
    elif which == "H":
        b = (*b[:5], a[5])  # level pair: |dz| never changes
        dz = abs(b[2] - a[2])
        assume(dz > 1.0)
        params = TacticalParams(ProtectedZone(1e7, dz * (1 + off)), lookahead)
    else:
        ref = reference_pair(a, b, 20_000.0, 200.0, BIG)
        assume(ref.conflict and 1.0 < ref.t_in_s < BIG / 2)
        params = TacticalParams(ProtectedZone(20_000.0, 200.0), ref.t_in_s * (1 + off))
    return [a, b], params, off, off > 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(on_the_boundary())
def test_a_pair_more_than_a_hair_off_the_boundary_gets_the_reference_answer(
    case: tuple[list[Aircraft], TacticalParams, float, bool],
) -> None:
    pair, params, off, inside = case
    zones = [params.zone, params.zone]
    assert (reference(pair, zones, params.lookahead_s) == {(0, 1)}) is inside or abs(off) <= HAIR
    if abs(off) > HAIR:
        assert (len(detect(states(pair), params)) == 1) is inside
        assert (len(detect_all_pairs(states(pair), params)) == 1) is inside


def test_the_reference_reports_the_issue_16_pair() -> None:
    # Two level aircraft 289.8 m apart, head-on, horizontal loss beginning at 295 s.
    gap = 9260.0 + 400.0 * 295.0
    a: Aircraft = (0.0, 0.0, 10_000.0, 0.0, 200.0, 0.0)
    b: Aircraft = (0.0, math.degrees(gap / EARTH_RADIUS_M), 10_289.8, 0.0, -200.0, 0.0)
    verdict = reference_pair(a, b, 9260.0, 304.8, 300.0)
    assert verdict.conflict and math.isclose(verdict.t_in_s, 295.0, abs_tol=0.05)
    assert len(detect(states([a, b]), TacticalParams())) == 1


def test_a_pair_exactly_on_the_boundary_is_within_the_hair() -> None:
    # Level, 304.8 m apart, on top of each other: |dz| < H is false, by nothing at all.
    a: Aircraft = (10.0, 10.0, 0.0, 0.0, 0.0, 0.0)
    b: Aircraft = (10.0, 10.0, 304.8, 0.0, 0.0, 0.0)
    zones = [ProtectedZone(9260.0, 304.8)] * 2
    assert reference([a, b], zones, 300.0) == set()
    assert reference([a, b], zones, 300.0, 1.0 + HAIR) == {(0, 1)}
