"""Resolution advisories: modified voltage potential (MVP), checked by re-detection.

Method (after Eby's modified voltage potential, written from the geometry, not copied):
for each conflicting pair, in the pair's tangent plane (see ``detect``), take ``t*``, the
moment inside the predicted loss interval ``[t_in, t_out]`` where the aircraft are
horizontally closest (the CPA, clipped into the interval), and the relative position
``d*`` then. The pair must gain ``R_m - |d*|`` of miss distance along ``d*`` by ``t*``,
``R_m = R (1 + margin)``, so the relative velocity changes by
``(R_m - |d*|) / t* * d*/|d*|``. Each aircraft takes half, in opposite directions
(cooperative resolution: both parties are told). An aircraft in several conflicts sums
its contributions; that superposition is what makes MVP cheap for crowds.

Vertical advisories work the same way on altitude: keep the current vertical order
(whoever is above climbs, relatively), and reach ``H_m = H_eff (1 + margin)`` of vertical
separation by the time the horizontal intrusion begins; a pair already diverging faster
keeps its rate. Because the separation then never shrinks, this always clears a pair that
is not already in loss.

MVP is a first-order method: summed or large corrections can fall short (the new CPA
comes earlier than the old one), and a correction can create a conflict with a third
aircraft. So advisories are *iterated and checked*: each round runs the advised
velocities through the same detector and adds MVP corrections for what is still in
conflict (``MAX_ROUNDS`` rounds); with ``Maneuver.AUTO`` the last rounds switch to
vertical corrections for pairs horizontal ones could not clear. Changes are capped
(``Limits``): an advisory is something a crew can fly. The result says which conflicts
are cleared, which remain and which the manoeuvres would create. A pair already in loss
cannot be cleared by any change of velocity; it gets one round of advice that opens it.

Every pair's manoeuvre has a *sense* (``Sense``): which side the two pass on, and which
one climbs. It belongs to the pair, so both aircraft get complementary advice. It comes
from the geometry (the side the miss already lies on) except in symmetric geometry,
where the rule of the air decides (head-on: both turn right) and, vertically, the order
of the ids. Callers that follow an encounter over time pass the senses back in, and the
sense is kept; it is reversed only when the kept one can no longer clear the pair and
the opposite one can, once per encounter (a reversal mid-encounter leaves a
crew that followed the first advice worse off than none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from deconflict.tactical.detect import Conflicts, detect, per_aircraft_zones
from deconflict.tactical.separation import TacticalParams
from deconflict.tactical.state import (
    EARTH_RADIUS_M,
    BoolArray,
    FloatArray,
    IntArray,
    StateVectors,
    kinematics,
    track_from_velocity,
)

MIN_TIME_S = 10.0  # never ask for a correction faster than "within 10 s"
MAX_ROUNDS = 6
VERTICAL_ROUNDS = 2
DEFAULT_MARGIN = 0.05


class Maneuver(StrEnum):
    """Which degrees of freedom an advisory may use."""

    COMBINED = "combined"  # heading and speed together: the MVP vector itself
    HEADING = "heading"  # turn only, speed kept
    SPEED = "speed"  # speed only, track kept
    VERTICAL = "vertical"  # vertical speed only
    AUTO = "auto"  # combined, falling back to vertical for pairs it cannot clear


@dataclass(frozen=True, slots=True)
class Advisory:
    """The manoeuvre suggested to one aircraft: new targets and the change from now."""

    id: str
    gs_mps: float
    track_deg: float
    vs_mps: float
    d_gs_mps: float
    d_track_deg: float
    d_vs_mps: float


Pair = tuple[str, str]


@dataclass(frozen=True)
class Resolution:
    """Advisories for every aircraft that should manoeuvre, and what applying them does."""

    advisories: tuple[Advisory, ...]
    cleared: frozenset[Pair]
    unresolved: frozenset[Pair]
    induced: frozenset[Pair]
    senses: Mapping[Pair, Sense] = field(default_factory=dict)
    """The sense each pair's manoeuvre used: remember it and pass it to the next pass."""
    reversed: frozenset[Pair] = frozenset()
    """Pairs whose remembered sense could no longer clear them and was reversed."""


def _pairs(states: StateVectors, c: Conflicts) -> list[Pair]:
    out = []
    for i, j in zip(c.i.tolist(), c.j.tolist(), strict=True):
        a, b = states.ids[i], states.ids[j]
        out.append((a, b) if a < b else (b, a))
    return out


def _unit_rows(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    n = np.sqrt(np.sum(x * x, axis=1))
    return x / np.where(n > 0.0, n, 1.0)[:, None], n


SYMMETRIC_MISS = 0.01
"""A miss within 1 % of R (or a vertical spacing within 1 % of H) counts as symmetric:
the rule of the air decides the sense, not a few metres of position noise."""


@dataclass(frozen=True, slots=True)
class Sense:
    """The sense of a pair's manoeuvre, kept for the life of the encounter.

    A property of the unordered pair, so both aircraft always get complementary
    manoeuvres. ``horizontal``: +1 each aircraft veers to the right of the other's
    approach (head-on: both turn right), -1 both to the left, 0 none chosen (no relative
    motion to be right of). ``vertical``: +1 the aircraft whose id sorts later ends above
    the other, -1 below. ``reversed``: the sense was reversed once already (at most once
    per encounter, so two failing senses cannot alternate).
    """

    horizontal: int
    vertical: int
    reversed: bool = False

    def flipped(self) -> Sense:
        """The opposite sense, marked as the encounter's one reversal."""
        return Sense(-self.horizontal, -self.vertical, True)


def _pair_corrections(
    states: StateVectors,
    c: Conflicts,
    params: TacticalParams,
    margin: float,
    forced_h: IntArray,
    forced_v: IntArray,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Per conflict: horizontal relative-velocity change (ECEF, M x 3), vertical one, and
    the horizontal and vertical senses used (``Sense`` convention, vertical by id order).

    ``forced_h``/``forced_v`` (0: free) impose a remembered sense. The geometry's own
    sense is the side the CPA miss already lies on; within ``SYMMETRIC_MISS`` of zero
    the pair passes right of each other (horizontal) or the later id climbs (vertical).
    Imposing a sense against the geometry asks for the miss to be carried across: the
    need grows from ``R - miss`` to ``R + miss``.
    """
    kin = kinematics(states)
    radius, half = per_aircraft_zones(states, params)
    i, j = c.i, c.j
    u = np.stack([kin.ux, kin.uy, kin.uz], axis=1)
    v = np.stack([kin.vx, kin.vy, kin.vz], axis=1)
    dp = EARTH_RADIUS_M * (u[j] - u[i])
    m, _ = _unit_rows(u[i] + u[j])
    dv = v[j] - v[i]
    dv = dv - np.sum(dv * m, axis=1)[:, None] * m
    a = np.sum(dv * dv, axis=1)
    b = np.sum(dp * dv, axis=1)
    moving = a > 0.0
    a_s = np.where(moving, a, 1.0)
    tcpa = np.where(moving, -b / a_s, 0.0)
    t_star = np.clip(tcpa, c.t_in_s, c.t_out_s)
    d_star = dp + dv * t_star[:, None]
    direction, dist = _unit_rows(d_star)
    r_pair = np.maximum(radius[i], radius[j])
    r_m = r_pair * (1.0 + margin)
    need = np.maximum(r_m - dist, 0.0)

    # Right of the relative motion: e = dv x m (for j; -e is right of -dv, for i).
    right, right_norm = _unit_rows(np.cross(dv, m))
    has_side = right_norm > 0.0
    miss = np.sum(d_star * right, axis=1)  # signed: > 0 when the miss is on the right
    symmetric = np.abs(miss) < SYMMETRIC_MISS * r_pair
    geo_h = np.where(symmetric, 1, np.sign(miss)).astype(np.intp)
    sense_h = np.where(has_side, np.where(forced_h != 0, forced_h, geo_h), 0).astype(np.intp)
    lateral = has_side & (symmetric | (np.sign(miss) != sense_h))
    direction = np.where(lateral[:, None], sense_h[:, None] * right, direction)
    need = np.where(lateral, np.maximum(r_m - sense_h * miss, 0.0), need)
    # No relative motion: push apart along the line between them.
    apart, ap_norm = _unit_rows(dp)
    still = ~has_side & (dist < 1e-6 * r_pair) & (ap_norm > 0.0)
    direction = np.where(still[:, None], apart, direction)
    horizontal = (need / np.maximum(t_star, MIN_TIME_S))[:, None] * direction

    h_pair = np.maximum(half[i], half[j]) * (1.0 + margin)
    dz = kin.alt[j] - kin.alt[i]
    w = kin.vs[j] - kin.vs[i]
    later_j = np.array([states.ids[q] > states.ids[p] for p, q in zip(i, j, strict=True)])
    by_id = np.where(later_j, 1, -1).astype(np.intp)  # j above <=> the later id above
    level = np.abs(dz) < SYMMETRIC_MISS * h_pair
    geo_side = np.where(level, np.where(w != 0.0, np.sign(w), by_id), np.sign(dz))
    side = np.where(forced_v != 0, forced_v * by_id, geo_side)
    c_h = np.sum(dp * dp, axis=1) - r_pair * r_pair
    disc = b * b - a * c_h
    h_lo = np.where(moving & (disc > 0.0), (-b - np.sqrt(np.maximum(disc, 0.0))) / a_s, 0.0)
    t_h = np.where(h_lo > 0.0, h_lo, MIN_TIME_S)
    rate = np.maximum(np.maximum(side * w, (h_pair - side * dz) / t_h), 0.0)
    vertical = side * rate - w
    return horizontal, vertical, sense_h, (side * by_id).astype(np.intp)


def _apply(
    states: StateVectors,
    c: Conflicts,
    horizontal: FloatArray,
    vertical: FloatArray,
    use_vertical: BoolArray,
    maneuver: Maneuver,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """New (vn, ve, vs) of every aircraft after summing its share of each correction."""
    n = len(states)
    dh = np.zeros((n, 3))
    dvs = np.zeros(n)
    h_share = np.where(use_vertical, 0.0, 0.5)[:, None] * horizontal
    v_share = np.where(use_vertical, 0.5, 0.0) * vertical
    np.add.at(dh, c.i, -h_share)
    np.add.at(dh, c.j, h_share)
    np.add.at(dvs, c.i, -v_share)
    np.add.at(dvs, c.j, v_share)

    lat, lon = np.radians(states.lat_deg), np.radians(states.lon_deg)
    east = np.stack([-np.sin(lon), np.cos(lon), np.zeros(n)], axis=1)
    north = np.stack([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)], axis=1)
    dn, de = np.sum(dh * north, axis=1), np.sum(dh * east, axis=1)
    vn, ve = states.vn_mps + dn, states.ve_mps + de
    gs = np.hypot(states.vn_mps, states.ve_mps)
    if maneuver is Maneuver.HEADING:
        norm = np.hypot(vn, ve)
        ok = (norm > 0.0) & (gs > 0.0)
        scale = np.where(ok, gs / np.where(norm > 0.0, norm, 1.0), 1.0)
        vn = np.where(ok, vn * scale, states.vn_mps)
        ve = np.where(ok, ve * scale, states.ve_mps)
    elif maneuver is Maneuver.SPEED:
        moving = gs > 0.0
        gs_s = np.where(moving, gs, 1.0)
        along = (dn * states.vn_mps + de * states.ve_mps) / gs_s
        factor = np.where(moving, np.maximum(gs + along, 0.0) / gs_s, 1.0)
        vn, ve = states.vn_mps * factor, states.ve_mps * factor
    return vn, ve, states.vs_mps + dvs


def _check(
    states: StateVectors, new: StateVectors, params: TacticalParams, before: list[Pair]
) -> tuple[frozenset[Pair], frozenset[Pair], frozenset[Pair]]:
    after = set(_pairs(new, detect(new, params)))
    original = set(before)
    return (
        frozenset(original - after),
        frozenset(original & after),
        frozenset(after - original),
    )


@dataclass(frozen=True, slots=True)
class Limits:
    """What an advisory may ask of an aircraft, as changes from its reported velocity.

    Without limits a conflict a few seconds away would get an absurd manoeuvre, and the
    check itself would degrade: the broad phase's search radius grows with top speed.
    """

    max_horizontal_change_mps: float = 150.0
    max_vertical_speed_mps: float = 30.0  # about 6,000 ft/min


def _limited(
    original: StateVectors,
    vn: FloatArray,
    ve: FloatArray,
    vs: FloatArray,
    limits: Limits,
    maneuver: Maneuver,
) -> StateVectors:
    dn, de = vn - original.vn_mps, ve - original.ve_mps
    size = np.hypot(dn, de)
    cap = limits.max_horizontal_change_mps
    scale = np.where(size > cap, cap / np.where(size > 0.0, size, 1.0), 1.0)
    vn, ve = original.vn_mps + dn * scale, original.ve_mps + de * scale
    if maneuver is Maneuver.HEADING:  # a shortened turn must still keep the speed
        gs0, gs1 = np.hypot(original.vn_mps, original.ve_mps), np.hypot(vn, ve)
        ratio = np.where(gs1 > 0.0, gs0 / np.where(gs1 > 0.0, gs1, 1.0), 1.0)
        vn, ve = vn * ratio, ve * ratio
    vs_cap = np.maximum(limits.max_vertical_speed_mps, np.abs(original.vs_mps))
    return original.with_velocities(vn, ve, np.clip(vs, -vs_cap, vs_cap))


def resolve(
    states: StateVectors,
    params: TacticalParams,
    maneuver: Maneuver = Maneuver.AUTO,
    margin: float = DEFAULT_MARGIN,
    limits: Limits | None = None,
    conflicts: Conflicts | None = None,
    senses: Mapping[Pair, Sense] | None = None,
) -> Resolution:
    """Advisories for the conflicts of ``states`` (detected here unless given), checked.

    Iterated MVP: each round detects the conflicts of the velocities advised so far and
    adds their MVP corrections, so a correction that fell short is topped up and a
    conflict it induced with a third aircraft is resolved in turn. Pairs already in loss
    get one round (they cannot be cleared, only opened). With ``AUTO`` the last
    ``VERTICAL_ROUNDS`` rounds use vertical corrections for whatever is left.

    ``senses`` are those of the encounters' earlier advisories (``Resolution.senses``):
    a crew that followed the first advice must not be told the opposite, so
    each pair keeps its sense. Only when the kept sense leaves a pair (not in loss)
    unresolved and the opposite one clears it is the sense reversed, once per encounter
    (``Resolution.reversed``), as airborne collision avoidance allows.
    """
    limits = limits or Limits()
    first = detect(states, params) if conflicts is None else conflicts
    kept = dict(senses or {})
    res = _resolve_keeping(states, params, maneuver, margin, limits, first, kept)
    stuck = {p for p in res.unresolved if p in kept and not kept[p].reversed}
    if stuck:
        stuck &= _against_geometry(states, params, margin, first, kept)
    if not stuck:
        return res
    trial = {**kept, **{p: kept[p].flipped() for p in stuck}}
    other = _resolve_keeping(states, params, maneuver, margin, limits, first, trial)
    helped = stuck & other.cleared
    if not helped:
        return res
    if helped != stuck:
        trial = {**kept, **{p: kept[p].flipped() for p in helped}}
        other = _resolve_keeping(states, params, maneuver, margin, limits, first, trial)
    return replace(other, reversed=frozenset(helped & other.cleared))


def _against_geometry(
    states: StateVectors,
    params: TacticalParams,
    margin: float,
    first: Conflicts,
    kept: Mapping[Pair, Sense],
) -> set[Pair]:
    """The pairs, not in loss, whose kept sense is not the one their geometry picks now.

    Only those can gain from a reversal: where the kept sense is the geometry's own, the
    opposite one has the miss to carry across and clears less. Checking this first keeps
    a pass with many unresolved pairs from resolving the whole picture again for nothing.
    """
    zeros = np.zeros(len(first), dtype=np.intp)
    _, _, geo_h, geo_v = _pair_corrections(states, first, params, margin, zeros, zeros)
    out: set[Pair] = set()
    rows = zip(
        _pairs(states, first), first.los.tolist(), geo_h.tolist(), geo_v.tolist(), strict=True
    )
    for p, los, h, v in rows:
        k = kept.get(p)
        if k is not None and not los and (k.horizontal, k.vertical) != (h, v):
            out.add(p)
    return out


def _resolve_keeping(
    states: StateVectors,
    params: TacticalParams,
    maneuver: Maneuver,
    margin: float,
    limits: Limits,
    first: Conflicts,
    senses: Mapping[Pair, Sense],
) -> Resolution:
    """One iterated MVP resolution in which every pair keeps the sense it is given, or
    the one its first correction takes (recorded, so later rounds cannot flip it)."""
    before = _pairs(states, first)
    chosen = dict(senses)
    apply_as = Maneuver.COMBINED if maneuver is Maneuver.AUTO else maneuver
    current = states
    c = first
    for round_ in range(MAX_ROUNDS):
        if round_ > 0:
            found = detect(current, params)
            keep = np.flatnonzero(~found.los)
            c = Conflicts(
                found.i[keep],
                found.j[keep],
                found.tcpa_s[keep],
                found.dcpa_m[keep],
                found.t_in_s[keep],
                found.t_out_s[keep],
                found.los[keep],
            )
        if len(c) == 0:
            break
        vertical_round = maneuver is Maneuver.VERTICAL or (
            maneuver is Maneuver.AUTO and round_ >= MAX_ROUNDS - VERTICAL_ROUNDS
        )
        pairs = _pairs(current, c)
        known = [chosen.get(p) for p in pairs]
        forced_h = np.array([0 if k is None else k.horizontal for k in known], dtype=np.intp)
        forced_v = np.array([0 if k is None else k.vertical for k in known], dtype=np.intp)
        horizontal, vertical, sense_h, sense_v = _pair_corrections(
            current, c, params, margin, forced_h, forced_v
        )
        for p, k, sh, sv in zip(pairs, known, sense_h.tolist(), sense_v.tolist(), strict=True):
            if k is None:
                chosen[p] = Sense(int(sh), int(sv))
            elif k.horizontal == 0 and sh != 0:
                chosen[p] = replace(k, horizontal=int(sh))
        use_vertical = np.full(len(c), vertical_round)
        vn, ve, vs = _apply(current, c, horizontal, vertical, use_vertical, apply_as)
        current = _limited(states, vn, ve, vs, limits, apply_as)
    cleared, unresolved, induced = _check(states, current, params, before)
    return Resolution(_advisories(states, current), cleared, unresolved, induced, chosen)


def _advisories(states: StateVectors, new: StateVectors) -> tuple[Advisory, ...]:
    gs0, trk0 = track_from_velocity(states.vn_mps, states.ve_mps)
    gs1, trk1 = track_from_velocity(new.vn_mps, new.ve_mps)
    changed = np.flatnonzero(
        (np.abs(new.vn_mps - states.vn_mps) > 1e-9)
        | (np.abs(new.ve_mps - states.ve_mps) > 1e-9)
        | (np.abs(new.vs_mps - states.vs_mps) > 1e-9)
    )
    d_trk = (trk1 - trk0 + 180.0) % 360.0 - 180.0
    return tuple(
        Advisory(
            states.ids[k],
            float(gs1[k]),
            float(trk1[k]),
            float(new.vs_mps[k]),
            float(gs1[k] - gs0[k]),
            float(d_trk[k]),
            float(new.vs_mps[k] - states.vs_mps[k]),
        )
        for k in changed.tolist()
    )
