"""Pairwise conflict detection: closest point of approach and loss-of-separation intervals.

The rules, in full:

- **Extrapolation.** Every aircraft flies a straight line at its reported velocity:
  horizontally along its ground velocity, vertically at its vertical speed. Nothing
  else (turns, accelerations, intent) is assumed.
- **Geometry.** Each pair is judged in its own local tangent plane, the plane tangent to
  the Earth sphere (see ``state``) at the pair's midpoint ``m = (u_a + u_b)/|u_a + u_b|``.
  The horizontal relative position is the ECEF chord ``R_E (u_b - u_a)``, which is exactly
  perpendicular to ``m`` and differs from the great-circle distance by ``d^3 / 24 R_E^2``
  (under 1 mm at 10 km). The relative velocity is ``v_b - v_a`` with its component along
  ``m`` removed, so the two north directions are reconciled (meridian convergence), the
  antimeridian needs no special case, and the poles are ordinary points.
- **Vertical.** Altitude difference and vertical-speed difference, linear in time.
- **Protected zone.** Loss of separation at time ``t`` means horizontal distance ``< R``
  AND ``|dz| < H_eff`` at the same ``t``, with ``H_eff = H + tolerance`` per aircraft
  and the larger of the pair's two used (the tolerance defaults to 0 and only widens
  the stated zone; see ``settings``). Both comparisons are strict.
- **Conflict.** A pair is in conflict when a loss of separation exists at some
  ``t in [0, T]``; a current loss (at ``t = 0``) is a conflict and has ``los = True``.
- **Outputs.** ``t_in``/``t_out``: the intersection of the horizontal-intrusion interval
  and the vertical-intrusion interval, clipped to ``[0, T]``. ``tcpa``: time of
  horizontal closest approach, clipped to ``[0, T]``; ``dcpa``: horizontal distance then.

Two entry points compute the same maths on different candidate sets: ``detect`` (a
conservative broad phase, then this narrow phase) and ``detect_all_pairs`` (every pair,
dense). They must find exactly the same conflicts; tests and ``bench/tactical.py`` check it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconflict.tactical.broadphase import candidate_pairs
from deconflict.tactical.separation import TacticalParams
from deconflict.tactical.state import (
    EARTH_RADIUS_M,
    BoolArray,
    FloatArray,
    IntArray,
    Kinematics,
    StateVectors,
    kinematics,
)

CHUNK_PAIRS = 1 << 14  # 128 KB per temporary: the narrow phase stays in cache (2x faster)


@dataclass(frozen=True)
class PairResults:
    """Narrow-phase results for a batch of pairs, aligned with the input index arrays."""

    conflict: BoolArray
    los: BoolArray
    tcpa_s: FloatArray
    dcpa_m: FloatArray
    t_in_s: FloatArray
    t_out_s: FloatArray


@dataclass(frozen=True)
class Conflicts:
    """The conflicting pairs of one pass, as index arrays into the ``StateVectors`` (i < j).

    Sorted by ``(i, j)`` so that two passes over the same states compare equal.
    """

    i: IntArray
    j: IntArray
    tcpa_s: FloatArray
    dcpa_m: FloatArray
    t_in_s: FloatArray
    t_out_s: FloatArray
    los: BoolArray

    def __len__(self) -> int:
        return int(self.i.shape[0])

    def pairs(self) -> set[tuple[int, int]]:
        """The pairs as a set, for comparisons."""
        return set(zip(self.i.tolist(), self.j.tolist(), strict=True))


def per_aircraft_zones(
    states: StateVectors, params: TacticalParams
) -> tuple[FloatArray, FloatArray]:
    """Radius and effective half-height of each aircraft's own protected zone."""
    n = len(states)
    if states.parties is None:
        z = params.zone
        return np.full(n, z.radius_m), np.full(n, z.effective_half_height_m)
    zones = [params.zone_for(p) for p in states.parties]
    return (
        np.array([z.radius_m for z in zones], dtype=np.float64).reshape(n),
        np.array([z.effective_half_height_m for z in zones], dtype=np.float64).reshape(n),
    )


def evaluate_pairs(
    kin: Kinematics,
    i: IntArray,
    j: IntArray,
    radius_m: FloatArray,
    half_height_m: FloatArray,
    lookahead_s: float,
) -> PairResults:
    """The narrow phase for pairs ``(i[k], j[k])``; radius and half-height are per aircraft.

    Written as straight-line NumPy over the pair arrays with no reductions, so each pair's
    result depends only on that pair's inputs (see ``state.Kinematics``).
    """
    with np.errstate(over="ignore"):  # near-zero closure rates give infinite times: fine
        return _evaluate(kin, i, j, radius_m, half_height_m, float(lookahead_s))


def _evaluate(
    kin: Kinematics,
    i: IntArray,
    j: IntArray,
    radius_m: FloatArray,
    half_height_m: FloatArray,
    big_t: float,
) -> PairResults:
    r = np.maximum(radius_m[i], radius_m[j])
    h = np.maximum(half_height_m[i], half_height_m[j])

    uxi, uyi, uzi = kin.ux[i], kin.uy[i], kin.uz[i]
    uxj, uyj, uzj = kin.ux[j], kin.uy[j], kin.uz[j]
    dpx = EARTH_RADIUS_M * (uxj - uxi)
    dpy = EARTH_RADIUS_M * (uyj - uyi)
    dpz = EARTH_RADIUS_M * (uzj - uzi)
    mx, my, mz = uxi + uxj, uyi + uyj, uzi + uzj
    mn = np.sqrt(mx * mx + my * my + mz * mz)
    # Antipodal pairs have no midpoint; they are 20,000 km apart, any plane will do.
    mn = np.where(mn > 1e-12, mn, 1.0)
    mx, my, mz = mx / mn, my / mn, mz / mn
    dvx = kin.vx[j] - kin.vx[i]
    dvy = kin.vy[j] - kin.vy[i]
    dvz = kin.vz[j] - kin.vz[i]
    along = dvx * mx + dvy * my + dvz * mz
    dvx, dvy, dvz = dvx - along * mx, dvy - along * my, dvz - along * mz

    a = dvx * dvx + dvy * dvy + dvz * dvz
    b = dpx * dvx + dpy * dvy + dpz * dvz
    c0 = dpx * dpx + dpy * dpy + dpz * dpz
    c = c0 - r * r
    moving = a > 0.0
    a_s = np.where(moving, a, 1.0)
    disc = b * b - a * c
    h_ok = np.where(moving, disc > 0.0, c < 0.0)
    sq = np.sqrt(np.maximum(disc, 0.0))
    h_lo = np.where(moving, (-b - sq) / a_s, -np.inf)
    h_hi = np.where(moving, (-b + sq) / a_s, np.inf)
    tcpa = np.where(moving, np.clip(-b / a_s, 0.0, big_t), 0.0)
    cx, cy, cz = dpx + dvx * tcpa, dpy + dvy * tcpa, dpz + dvz * tcpa
    dcpa = np.sqrt(cx * cx + cy * cy + cz * cz)

    dz = kin.alt[j] - kin.alt[i]
    w = kin.vs[j] - kin.vs[i]
    climbing = w != 0.0
    w_s = np.where(climbing, w, 1.0)
    v1 = (-h - dz) / w_s
    v2 = (h - dz) / w_s
    v_lo = np.where(climbing, np.minimum(v1, v2), -np.inf)
    v_hi = np.where(climbing, np.maximum(v1, v2), np.inf)
    v_ok = climbing | (np.abs(dz) < h)

    t_in = np.maximum(np.maximum(h_lo, v_lo), 0.0)
    t_out = np.minimum(np.minimum(h_hi, v_hi), big_t)
    los = (c < 0.0) & (np.abs(dz) < h)
    conflict = (h_ok & v_ok & (t_in < t_out)) | los
    t_in = np.where(los, 0.0, t_in)
    return PairResults(conflict, los, tcpa, dcpa, t_in, t_out)


def _chunks(n: int) -> Iterator[slice]:
    for start in range(0, n, CHUNK_PAIRS):
        yield slice(start, min(n, start + CHUNK_PAIRS))


def narrow_phase(
    states: StateVectors,
    params: TacticalParams,
    i: IntArray,
    j: IntArray,
    kin: Kinematics | None = None,
) -> Conflicts:
    """Evaluate candidate pairs (i < j) in memory-bounded chunks and keep the conflicts."""
    kin = kinematics(states) if kin is None else kin
    radius, half = per_aircraft_zones(states, params)
    parts: list[tuple[IntArray, IntArray, PairResults]] = []
    for sl in _chunks(int(i.shape[0])):
        ii, jj = i[sl], j[sl]
        res = evaluate_pairs(kin, ii, jj, radius, half, params.lookahead_s)
        parts.append(_kept(ii, jj, res))
    return _assemble(parts)


def _kept(i: IntArray, j: IntArray, res: PairResults) -> tuple[IntArray, IntArray, PairResults]:
    keep = np.flatnonzero(res.conflict)
    sub = PairResults(
        res.conflict[keep],
        res.los[keep],
        res.tcpa_s[keep],
        res.dcpa_m[keep],
        res.t_in_s[keep],
        res.t_out_s[keep],
    )
    return i[keep], j[keep], sub


def _assemble(parts: list[tuple[IntArray, IntArray, PairResults]]) -> Conflicts:
    if not parts:
        e = np.empty(0, dtype=np.float64)
        ei = np.empty(0, dtype=np.intp)
        return Conflicts(ei, ei, e, e, e, e, np.empty(0, dtype=np.bool_))
    i = np.concatenate([p[0] for p in parts])
    j = np.concatenate([p[1] for p in parts])
    order = np.lexsort((j, i))

    def cat(name: str) -> npt.NDArray[np.generic]:
        return np.concatenate([getattr(p[2], name) for p in parts])[order]

    return Conflicts(
        i[order].astype(np.intp),
        j[order].astype(np.intp),
        cat("tcpa_s").astype(np.float64),
        cat("dcpa_m").astype(np.float64),
        cat("t_in_s").astype(np.float64),
        cat("t_out_s").astype(np.float64),
        cat("los").astype(np.bool_),
    )


def detect(states: StateVectors, params: TacticalParams) -> Conflicts:
    """All conflicting pairs, via the conservative broad phase then the narrow phase."""
    kin = kinematics(states)
    radius, half = per_aircraft_zones(states, params)
    i, j = candidate_pairs(kin, radius, half, params.lookahead_s)
    return narrow_phase(states, params, i, j, kin)


def detect_all_pairs(states: StateVectors, params: TacticalParams) -> Conflicts:
    """All conflicting pairs by evaluating every pair; the reference for the broad phase.

    Memory stays bounded (pairs are generated row block by row block), time is quadratic.
    """
    kin = kinematics(states)
    radius, half = per_aircraft_zones(states, params)
    n = len(states)
    parts: list[tuple[IntArray, IntArray, PairResults]] = []
    rows_per_block = max(1, CHUNK_PAIRS // max(n, 1))
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        rows = np.arange(start, stop, dtype=np.intp)[:, None]
        cols = np.arange(n, dtype=np.intp)[None, :]
        upper = cols > rows
        ii = np.broadcast_to(rows, upper.shape)[upper]
        jj = np.broadcast_to(cols, upper.shape)[upper]
        if ii.shape[0] == 0:
            continue
        res = evaluate_pairs(kin, ii, jj, radius, half, params.lookahead_s)
        parts.append(_kept(ii, jj, res))
    return _assemble(parts)


def conflict_records(states: StateVectors, conflicts: Conflicts) -> list[dict[str, object]]:
    """Wire form of a pass: one dict per pair, ``a < b`` by id, sorted by ``(a, b)``.

    Ordered by id rather than by index so that the same traffic gives the same output
    whatever order the reports arrived in. Times and distances are rounded to the
    millimetre and millisecond: finer digits are noise from the extrapolation.
    """
    out: list[dict[str, object]] = []
    for k in range(len(conflicts)):
        a, b = states.ids[int(conflicts.i[k])], states.ids[int(conflicts.j[k])]
        if b < a:
            a, b = b, a
        out.append(
            {
                "a": a,
                "b": b,
                "tcpa_s": round(float(conflicts.tcpa_s[k]), 3),
                "dcpa_m": round(float(conflicts.dcpa_m[k]), 3),
                "t_in_s": round(float(conflicts.t_in_s[k]), 3),
                "t_out_s": round(float(conflicts.t_out_s[k]), 3),
                "los": bool(conflicts.los[k]),
            }
        )
    out.sort(key=lambda r: (str(r["a"]), str(r["b"])))
    return out
