"""The rules of changing airspace: who may, which version a change makes, what it touches.

- A party writes its own constraints; the service operator anyone's. Only the operator
  defines agreed zones (the API's scopes enforce that): they are agreements between
  parties, not one party's to make.
- F3548 constraint references are constraints too, but only the DSS changes them: their
  OVN, subscribers and notification indices must follow every change.
- A write may name the version it expects (0: must not exist); another is stale.
- A constraint's version counts its changes, a deletion included, so that a reader can
  order the deletion after the last version.
- A zone's versions come from its history, not its current row: a zone deleted and
  defined again continues its numbering, so a version names one content forever.
- A zone's history is for the operator and for the parties any version assigned a
  sector to.

Pure functions over domain values; ``service`` applies them in the change's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deconflict.airspace.versions import StoredConstraint, ZoneVersion
from deconflict.errors import Forbidden, StaleVersion
from deconflict.geo.volume import Volume4D
from deconflict.model.constraint import AgreedZone, Constraint


@dataclass(frozen=True)
class Editor:
    """Who asks for a change or a read: a party, or the service operator."""

    party: str
    operator: bool = False


def check_owner(constraint_id: str, current: StoredConstraint | None, editor: Editor) -> None:
    """``Forbidden`` unless ``editor`` may write the constraint: a new one, its own, or
    (the operator) anyone's."""
    theirs = current is not None and current.constraint.owner != editor.party
    if theirs and not editor.operator:
        raise Forbidden(f"constraint {constraint_id!r} belongs to another party")


def native_refusal(constraint_id: str, manager: str | None) -> str | None:
    """Why a native write may not change the constraint (an F3548 USS manages it), or
    None when it may."""
    if manager is None:
        return None
    return (
        f"constraint {constraint_id!r} is an F3548 constraint reference managed by "
        f"{manager!r}; change it through /dss/v1/constraint_references"
    )


def check_expected(kind: str, ident: str, have: int, expected: int | None) -> None:
    """``StaleVersion`` when the writer expected another version (0: none stored)."""
    if expected is not None and have != expected:
        raise StaleVersion(f"{kind} {ident!r} is at version {have}, not {expected}")


def owner_of(current: StoredConstraint | None, editor: Editor) -> str:
    """A constraint keeps its owner when the operator rewrites it; a new one is the
    writer's."""
    return current.constraint.owner if current is not None else editor.party


def constraint_version(before: StoredConstraint | None) -> int:
    """The version a write or a deletion of the constraint makes."""
    return 1 if before is None else before.version + 1


def zone_version(last_recorded: int) -> int:
    """The version a change of a zone makes, from the last one in its history."""
    return last_recorded + 1


def constraint_volumes(*constraints: Constraint | None) -> list[Volume4D]:
    """Where a constraint change may touch operations: the volumes in force of every
    version given (the old one and the new one)."""
    return [v for c in constraints if c is not None for _, v in c.in_force()]


def zone_volumes(*zones: AgreedZone | None) -> list[Volume4D]:
    """Where a zone change may touch operations: every sector of every version given."""
    return [z.volume(k) for z in zones if z is not None for k in range(len(z.sectors))]


def check_history_reader(zone_id: str, history: Sequence[ZoneVersion], reader: Editor) -> None:
    """``Forbidden`` unless ``reader`` is the operator or was assigned a sector by any
    version of the zone."""
    concerned = {p for h in history if h.zone is not None for p in h.zone.parties}
    if not reader.operator and reader.party not in concerned:
        raise Forbidden(f"zone {zone_id!r} assigns you no sector")
