"""The rules of constraints and agreed zones, and the checks that apply them.

An operation is judged against imposed airspace with the same exact 4D test as against
other operations (``geo.overlap``), so a volume that clips a no-fly zone by 5 cm is in
conflict and one that passes 5 cm outside is not, at the promised 1 cm precision.

- No-fly: blocking, whoever plans. Restricted: blocking unless the operation's party
  is listed or its priority reaches the constraint's minimum; an allowed entry is still
  reported (a notice), because whoever enters a restricted area should see it did.
- Advisory: a notice, never blocking: it exists to be read.
- Agreed zone: an operation of a party other than the one a sector is assigned to is
  blocking; the assigned party is not told anything about its own sector.
- Off-nominal operations (Nonconforming, Contingent) are already failing their plan:
  they get notices, as with other operations (``rules.py``), and Ended ones nothing.

Reports name the constraint or zone, the volumes involved, and when, how high and where
(the overlap geometry), which is what the planning party needs to move; nothing about
other parties' operations is involved, so there is nothing to hide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np

from deconflict.core.report import where_and_when
from deconflict.core.rules import Verdict
from deconflict.geo.caps import angle_to_chord, bounding_caps, bounding_caps_of_arrays
from deconflict.geo.earth import EARTH_RADIUS_M, TOLERANCE_M
from deconflict.geo.footprint import Footprint
from deconflict.geo.overlap import Overlap, overlap
from deconflict.geo.volume import Volume4D
from deconflict.model.columns import PlanColumns
from deconflict.model.constraint import AgreedZone, Constraint, ConstraintType
from deconflict.model.operation import Operation


class ConstraintReason(StrEnum):
    NO_FLY = "no_fly"
    RESTRICTED = "restricted"
    """A restricted area the operation is not allowed into."""
    ALLOWED_PARTY = "allowed_party"
    ALLOWED_PRIORITY = "allowed_priority"
    ADVISORY = "advisory"
    ASSIGNED_SECTOR = "assigned_sector"
    """Inside a sector an agreed zone assigns to another party."""
    OFF_NOMINAL = "off_nominal"


@dataclass(frozen=True)
class AirspaceOverlap:
    """Operation volume ``volume`` overlaps constraint volume (or zone sector) ``other``."""

    volume: int
    other: int
    overlap: Overlap


@dataclass(frozen=True)
class ConstraintConflict:
    """An operation inside a constraint or an agreed-zone sector."""

    operation: Operation
    kind: str
    """``constraint`` or ``zone``."""
    ref_id: str
    ref_type: str
    """The constraint's type, or ``agreed_zone``."""
    verdict: Verdict
    reason: ConstraintReason
    overlaps: tuple[AirspaceOverlap, ...]
    assigned_party: str | None = None
    """For a zone: the party the sector belongs to (both sides agreed to it)."""
    ref_version: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "operation": self.operation.id,
            "party": self.operation.party,
            self.kind: self.ref_id,
            "type": self.ref_type,
            "verdict": self.verdict.value,
            "reason": self.reason.value,
            "overlaps": [
                {
                    "volume": o.volume,
                    "sector" if self.kind == "zone" else "constraint_volume": o.other,
                    **where_and_when(o.overlap),
                }
                for o in self.overlaps
            ],
        }
        if self.assigned_party is not None:
            out["assigned_party"] = self.assigned_party
        if self.ref_version is not None:
            out["version"] = self.ref_version
        return out


def judge_constraint(op: Operation, c: Constraint) -> tuple[Verdict, ConstraintReason]:
    """The verdict on an operation found inside constraint ``c``."""
    if not op.state.is_nominal:
        return Verdict.NOTICE, ConstraintReason.OFF_NOMINAL
    if c.type is ConstraintType.ADVISORY:
        return Verdict.NOTICE, ConstraintReason.ADVISORY
    if c.type is ConstraintType.NO_FLY:
        return Verdict.BLOCKING, ConstraintReason.NO_FLY
    if op.party in c.allowed_parties:
        return Verdict.NOTICE, ConstraintReason.ALLOWED_PARTY
    if c.allowed_min_priority is not None and op.priority >= c.allowed_min_priority:
        return Verdict.NOTICE, ConstraintReason.ALLOWED_PRIORITY
    return Verdict.BLOCKING, ConstraintReason.RESTRICTED


def constraint_conflict(
    op: Operation, c: Constraint, pairs: Iterable[tuple[int, int]] | None = None
) -> ConstraintConflict | None:
    """The conflict of ``op`` with ``c``, or None; ``pairs`` limits the exact tests to
    (operation volume, constraint volume) candidates when a broad phase found them."""
    if not op.state.is_live:
        return None
    active = dict(c.in_force())
    todo = pairs if pairs is not None else ((i, k) for i in range(len(op.volumes)) for k in active)
    found = []
    for i, k in sorted(set(todo)):
        if k not in active:
            continue
        ov = overlap(op.volumes[i], active[k])
        if ov is not None:
            found.append(AirspaceOverlap(i, k, ov))
    if not found:
        return None
    verdict, reason = judge_constraint(op, c)
    return ConstraintConflict(op, "constraint", c.id, c.type.value, verdict, reason, tuple(found))


def zone_conflicts(
    op: Operation, zone: AgreedZone, pairs: Iterable[tuple[int, int]] | None = None
) -> list[ConstraintConflict]:
    """One conflict per sector of ``zone`` assigned to another party that ``op`` enters."""
    if not op.state.is_live:
        return []
    foreign = [k for k, s in enumerate(zone.sectors) if s.party != op.party]
    todo = pairs if pairs is not None else ((i, k) for i in range(len(op.volumes)) for k in foreign)
    by_sector: dict[int, list[AirspaceOverlap]] = {}
    for i, k in sorted(set(todo)):
        if zone.sectors[k].party == op.party:
            continue
        ov = overlap(op.volumes[i], zone.volume(k))
        if ov is not None:
            by_sector.setdefault(k, []).append(AirspaceOverlap(i, k, ov))
    if op.state.is_nominal:
        verdict, reason = Verdict.BLOCKING, ConstraintReason.ASSIGNED_SECTOR
    else:
        verdict, reason = Verdict.NOTICE, ConstraintReason.OFF_NOMINAL
    return [
        ConstraintConflict(
            op,
            "zone",
            zone.id,
            "agreed_zone",
            verdict,
            reason,
            tuple(found),
            assigned_party=zone.sectors[k].party,
            ref_version=zone.version or None,
        )
        for k, found in sorted(by_sector.items())
    ]


class AirspaceLookup(Protocol):
    """Where the engine finds the constraints and zones near a volume (the store)."""

    def near(self, volume: Volume4D) -> tuple[list[Constraint], list[AgreedZone]]:
        """Constraints with a volume, and zones, that may overlap ``volume`` in space,
        time and altitude: supersets, never missing one the exact test would find."""
        ...


def airspace_conflicts(lookup: AirspaceLookup, op: Operation) -> list[ConstraintConflict]:
    """Every conflict of ``op`` with the constraints and zones ``lookup`` knows."""
    if not op.state.is_live:
        return []
    constraints: dict[str, Constraint] = {}
    zones: dict[str, AgreedZone] = {}
    for v in op.volumes:
        near_constraints, near_zones = lookup.near(v)
        constraints.update((c.id, c) for c in near_constraints)
        zones.update((z.id, z) for z in near_zones)
    return check_airspace(op, constraints.values(), zones.values())


def check_airspace(
    op: Operation, constraints: Iterable[Constraint], zones: Iterable[AgreedZone] = ()
) -> list[ConstraintConflict]:
    """``op`` against every given constraint and zone, exact tests throughout."""
    found: list[ConstraintConflict] = []
    for c in sorted(constraints, key=lambda c: c.id):
        hit = constraint_conflict(op, c)
        if hit is not None:
            found.append(hit)
    for z in sorted(zones, key=lambda z: z.id):
        found.extend(zone_conflicts(op, z))
    return found


def blocking(conflicts: Sequence[ConstraintConflict]) -> bool:
    return any(c.verdict is Verdict.BLOCKING for c in conflicts)


# ------------------------------------------------------------ whole plans


def check_plan_airspace(
    cols: PlanColumns,
    constraints: Sequence[Constraint],
    zones: Sequence[AgreedZone] = (),
    footprint_of: Callable[[int], Footprint] | None = None,
) -> list[ConstraintConflict]:
    """Every operation of a plan against constraints and zones, for ``deconflict check``.

    Constraints are few and plans large, so each constraint volume is compared with all
    plan volumes at once on columns (time, altitude, bounding-cap distance: exact and
    conservative filters), and footprints are built (``footprint_of``, which may cache)
    only for the survivors of those filters, which then get the exact S2 test.
    """
    n = len(cols)
    targets: list[tuple[str, str, int, Volume4D]] = []
    for c in constraints:
        targets.extend(("constraint", c.id, k, v) for k, v in c.in_force())
    for z in zones:
        targets.extend(("zone", z.id, k, z.volume(k)) for k in range(len(z.sectors)))
    if n == 0 or not targets:
        return []
    a = cols.arrays
    live = np.array([s.is_live for s in cols.states], dtype=bool)[a.op]
    centre, radius = bounding_caps_of_arrays(a.radius, a.vertex_count, a.lons, a.lats)
    t_centre, t_radius = bounding_caps([t[3].footprint for t in targets])
    pairs: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
    slack = TOLERANCE_M / EARTH_RADIUS_M
    for (kind, ref, k, v), tc, tr in zip(targets, t_centre, t_radius, strict=True):
        reach = angle_to_chord(radius + tr + slack)
        d = centre - tc
        near = np.flatnonzero(
            live
            & (a.t0 <= v.time.end.timestamp())
            & (a.t1 >= v.time.start.timestamp())
            & (a.lo <= v.altitude.upper_m)
            & (a.hi >= v.altitude.lower_m)
            & (np.einsum("ij,ij->i", d, d) <= reach * reach)
        )
        for vol in near.tolist():
            pairs.setdefault((kind, ref, int(a.op[vol])), []).append((vol, k))
    if not pairs:
        return []
    footprint = footprint_of or cols.footprint
    volumes_of: dict[int, list[int]] = {}
    for vol, k in enumerate(cols.vol_op):
        volumes_of.setdefault(k, []).append(vol)
    by_id_c = {c.id: c for c in constraints}
    by_id_z = {z.id: z for z in zones}
    ops: dict[int, Operation] = {}
    found: list[ConstraintConflict] = []
    for (kind, ref, k), vols in sorted(pairs.items(), key=lambda kv: (kv[0][2], *kv[0][:2])):
        if k not in ops:
            ops[k] = cols.operation(k, tuple(cols.volume(v, footprint(v)) for v in volumes_of[k]))
        position = {v: i for i, v in enumerate(volumes_of[k])}
        local = [(position[v], other) for v, other in vols]
        if kind == "constraint":
            hit = constraint_conflict(ops[k], by_id_c[ref], local)
            if hit is not None:
                found.append(hit)
        else:
            found.extend(zone_conflicts(ops[k], by_id_z[ref], local))
    return found
