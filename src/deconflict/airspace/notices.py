"""Who must hear of a change to a constraint or an agreed zone, and what each is told.

A constraint or a zone that appears, moves or goes away changes what parties may plan,
and may put operations they already have on the wrong side of it. The parties
concerned are:

- the owner (whoever imposed the constraint; the operator for a zone);
- the parties a restricted constraint lets in, and the parties a zone assigns sectors
  to, before and after the change (a party that lost its sector must hear it);
- every party with a live operation inside the old or the new version.

Each is told what changed, where (a bounding box) and when, the new version, and which
of *its own* operations are now in conflict with the new version, with the overlaps.
Nothing names another party's operations, nor, for a restricted constraint, the list of
who else is let in: the need-to-know rule of the API holds for events too.

Pure functions: the service gives the live operations near the old and new volumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from deconflict.core.constraints import ConstraintConflict, constraint_conflict, zone_conflicts
from deconflict.geo.bounds import bounding_box
from deconflict.geo.footprint import Footprint
from deconflict.geo.volume import AltitudeBand
from deconflict.model.constraint import EVERYWHERE_ALTITUDE, AgreedZone, Constraint
from deconflict.model.operation import Operation
from deconflict.model.times import rfc3339

T = TypeVar("T")


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class Why(StrEnum):
    """Why a party is told; a party may have several reasons."""

    OWNER = "owner"
    ALLOWED = "allowed"
    """A restricted constraint lets the party in (before or after the change)."""
    SECTOR = "sector"
    """The zone assigns (or assigned) the party a sector."""
    OPERATIONS = "operations"
    """The party has live operations inside the old or the new version."""


@dataclass(frozen=True)
class PartyEvent:
    party: str
    kind: str
    """``constraint.created`` ... ``zone.deleted``."""
    body: dict[str, Any]


def bbox(footprints: Sequence[Footprint]) -> list[float]:
    """[west, south, east, north] of all ``footprints``; all longitudes when one crosses
    the antimeridian (a box that wraps would mislead a reader that does not expect it)."""
    boxes = [bounding_box(f) for f in footprints]
    south = min(b[1] for b in boxes)
    north = max(b[3] for b in boxes)
    if any(w > e for w, _, e, _ in boxes):
        return [-180.0, south, 180.0, north]
    return [min(b[0] for b in boxes), south, max(b[2] for b in boxes), north]


def _altitudes(band: AltitudeBand) -> dict[str, Any]:
    if band == EVERYWHERE_ALTITUDE:
        return {}
    return {"altitude_lower_m": band.lower_m, "altitude_upper_m": band.upper_m}


def _constraint_summary(c: Constraint) -> dict[str, Any]:
    return {
        "type": c.type.value,
        "owner": c.owner,
        "name": c.name,
        "valid_start": rfc3339(c.validity.start),
        "valid_end": rfc3339(c.validity.end),
        **_altitudes(c.altitude_extent),
        "bbox": bbox([v.footprint for v in c.volumes]),
    }


def _zone_summary(z: AgreedZone) -> dict[str, Any]:
    return {
        "owner": z.owner,
        "name": z.name,
        "valid_start": rfc3339(z.validity.start),
        "valid_end": rfc3339(z.validity.end),
        **_altitudes(z.altitude),
        "bbox": bbox([s.footprint for s in z.sectors]),
    }


def _change(old: object | None, new: object | None) -> Change:
    if new is None:
        return Change.DELETED
    return Change.CREATED if old is None else Change.UPDATED


def _events(
    kind: str,
    change: Change,
    head: dict[str, Any],
    reasons: dict[str, set[Why]],
    conflicts: Iterable[ConstraintConflict],
    extra: dict[str, dict[str, Any]] | None = None,
    skip: Iterable[str] = (),
) -> list[PartyEvent]:
    mine: dict[str, list[dict[str, Any]]] = {}
    for c in conflicts:
        mine.setdefault(c.operation.party, []).append(c.to_json())
    quiet = set(skip)
    return [
        PartyEvent(
            party,
            f"{kind}.{change.value}",
            {
                **head,
                "change": change.value,
                "why": sorted(w.value for w in why),
                **(extra or {}).get(party, {}),
                "your_conflicts": mine.get(party, []),
            },
        )
        for party, why in sorted(reasons.items())
        if party not in quiet
    ]


def constraint_events(
    old: Constraint | None,
    new: Constraint | None,
    version: int,
    nearby: Iterable[Operation],
    changed_by: str | None = None,
    skip: Iterable[str] = (),
) -> list[PartyEvent]:
    """The events of a constraint going from ``old`` to ``new`` (None: absent).

    ``nearby`` are candidate operations near the volumes of either version (a superset:
    the exact test decides); ``skip`` are parties told by other means (the managing USS
    of an F3548 constraint gets the DSS's own event).
    """
    shown = new if new is not None else old
    if shown is None:
        return []
    reasons: dict[str, set[Why]] = {shown.owner: {Why.OWNER}}
    for c in (old, new):
        for p in c.allowed_parties if c is not None else ():
            reasons.setdefault(p, set()).add(Why.ALLOWED)

    def judged(c: Constraint | None, op: Operation) -> list[ConstraintConflict]:
        hit = constraint_conflict(op, c) if c is not None else None
        return [hit] if hit is not None else []

    now = _inside(nearby, old, new, judged, reasons)
    head = _head("constraint", shown.id, version, changed_by, _constraint_summary(shown))
    return _events("constraint", _change(old, new), head, reasons, now, skip=skip)


def zone_events(
    old: AgreedZone | None,
    new: AgreedZone | None,
    version: int,
    nearby: Iterable[Operation],
    changed_by: str | None = None,
) -> list[PartyEvent]:
    """The events of a zone going from ``old`` to ``new``; each party assigned a sector
    in the new version also hears which sectors are its own."""
    shown = new if new is not None else old
    if shown is None:
        return []
    reasons: dict[str, set[Why]] = {shown.owner: {Why.OWNER}}
    for z in (old, new):
        for p in z.parties if z is not None else ():
            reasons.setdefault(p, set()).add(Why.SECTOR)

    def judged(z: AgreedZone | None, op: Operation) -> list[ConstraintConflict]:
        return zone_conflicts(op, z) if z is not None else []

    now = _inside(nearby, old, new, judged, reasons)
    head = _head("zone", shown.id, version, changed_by, _zone_summary(shown))
    extra: dict[str, dict[str, Any]] = {}
    for k, s in enumerate(new.sectors if new is not None else ()):
        extra.setdefault(s.party, {"your_sectors": []})["your_sectors"].append(k)
    return _events("zone", _change(old, new), head, reasons, now, extra)


def _inside(
    nearby: Iterable[Operation],
    old: T | None,
    new: T | None,
    judged: Callable[[T | None, Operation], list[ConstraintConflict]],
    reasons: dict[str, set[Why]],
) -> list[ConstraintConflict]:
    """Conflicts with ``new``; every party with an operation inside either version is
    added to ``reasons``."""
    now: list[ConstraintConflict] = []
    for op in _unique(nearby):
        hit_new = judged(new, op)
        now.extend(hit_new)
        if hit_new or judged(old, op):
            reasons.setdefault(op.party, set()).add(Why.OPERATIONS)
    return now


def _head(
    kind: str, ref_id: str, version: int, changed_by: str | None, summary: dict[str, Any]
) -> dict[str, Any]:
    head: dict[str, Any] = {kind: ref_id, "version": version}
    if changed_by is not None:
        head["changed_by"] = changed_by
    return {**head, **summary}


def _unique(ops: Iterable[Operation]) -> list[Operation]:
    return list({op.id: op for op in ops}.values())
