"""What the service, as the USS of its native constraints, tells subscribed USSs.

A native restricted or no-fly constraint is a constraint reference the service manages
(``dss.native_constraints``). F3548 has the managing USS POST every change of a
constraint to the USSs subscribed over it (``PutConstraintDetailsParameters``) with the
subscriptions' new notification indices, so a change of a native one is told as a
native operation's is (``notify.native_intents``):

* the subscriptions are those asking for constraints over the volumes in force of the
  old and the new version, bumped by the same store call the DSS uses;
* the body holds the reference and details exactly as ``GET /uss/v1/constraints/{id}``
  answers them (``dss.wire.uss_api``); a deleted constraint, or one USSs no longer see
  (now advisory, or in force at no time), is told without ``constraint``;
* nothing of the owner leaves: no party, native id, name or allowed parties.

Advisory constraints never take this path (USSs are not shown them), nor do F3548
constraint references, whose managing USS notifies.
"""

from __future__ import annotations

from typing import Any

from deconflict.dss.native_constraints import SHOWN_TYPES
from deconflict.dss.wire import uss_api
from deconflict.geo.volume import Volume4D
from deconflict.model.constraint import Constraint
from deconflict.notify.uss_notices import ReferenceNotice, bump
from deconflict.store.dss import SqlDssSession


def constraint_notice(
    dss: SqlDssSession, constraint_id: str, old: Constraint | None, new: Constraint | None
) -> ReferenceNotice | None:
    """Bump the constraint subscriptions over the old and new versions USSs see and say
    what their USSs are told; None when no USS is told anything (an advisory constraint,
    an F3548 one, or no subscription over it). Call it after a write and before a
    deletion: the F3548 id goes with the constraint's rows."""
    volumes = [v for c in (old, new) if c is not None and c.type in SHOWN_TYPES for v in _in(c)]
    if not volumes:
        return None
    reference_id = dss.native_constraint_id(constraint_id)
    if reference_id is None:
        return None
    subscribers = bump(dss, volumes, for_constraints=True)
    if not subscribers:
        return None
    found = dss.native_constraint(reference_id) if new is not None else None
    part: dict[str, Any] = {"constraint_id": reference_id}
    version: int | None = None
    if found is not None:
        ref, c = found
        answer = uss_api.constraint_details(ref, c.type.value)
        part["constraint"] = answer.model_dump(mode="json", exclude_none=True)["constraint"]
        version = ref.version
    id_field = "constraint_reference_id"
    return ReferenceNotice(
        reference_id, version, part, subscribers, id_field, uss_api.CONSTRAINT_DETAILS_SHOWN
    )


def _in(c: Constraint) -> list[Volume4D]:
    return [v for _, v in c.in_force()]
