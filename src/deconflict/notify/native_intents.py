"""What the service, as the USS of its native parties, tells subscribed USSs of a change.

F3548 has the USS that changes an operational intent POST the change to every USS
subscribed in its airspace (``PutOperationalIntentDetailsParameters``), with the
subscriptions' new notification indices, so a subscriber that misses one sees a gap
in the indices. A native operation is an intent the service manages, so a native
change is told the same way:

* the subscriptions are those a DSS change of the same intent would bump (over its
  old and new volumes: cells and time, those that ask for operational intents), and
  their indices are bumped by the same store call the DSS uses;
* the body holds the reference and details exactly as ``GET /uss/v1/
  operational_intents/{id}`` answers them (``dss.wire.uss_api``), so the OVN a USS is
  handed is the one its manager serves; an operation that ended or was deleted is told
  without ``operational_intent``, as the standard says of a deletion;
* nothing of the party leaves: no party name, native id, call sign or details (the
  wire models have no field for them).

A USS intent (a ``dss_intents`` row, no F3548 id of its own here) never takes this
path: its manager notifies, and the service relays only in relay mode.
"""

from __future__ import annotations

from typing import Any

from deconflict.core.engine import ChangeKind, OperationChange
from deconflict.dss.native_intents import is_shown
from deconflict.dss.records import IntentRef
from deconflict.dss.wire import uss_api
from deconflict.notify.uss_notices import ReferenceNotice, bump
from deconflict.store.dss import SqlDssSession


def native_notice(dss: SqlDssSession, change: OperationChange) -> ReferenceNotice | None:
    """Bump the indices of the subscriptions a native change concerns and say what
    their USSs are told; None when no USS is told anything: an F3548 intent's change
    (its manager tells), an operation USSs never saw and do not see now (Ended), or no
    subscription over it (then the details are not even built)."""
    op, before = change.operation, change.previous
    deleted = change.kind is ChangeKind.DELETED
    was = op if deleted else before
    shown_now = not deleted and is_shown(op.state)
    if not shown_now and (was is None or not is_shown(was.state)):
        return None
    intent_id = dss.native_intent_id(op.id)
    if intent_id is None:
        return None
    volumes = [*op.volumes, *(before.volumes if before is not None else ())]
    subscribers = bump(dss, volumes, for_constraints=False)
    if not subscribers:
        return None
    found = dss.native_intent(intent_id) if shown_now else None
    part: dict[str, Any] = {"operational_intent_id": intent_id}
    version: int | None = None
    if found is not None:
        ref, _ = found
        part["operational_intent"] = _details(ref, op.priority)
        version = ref.version
    return ReferenceNotice(
        intent_id, version, part, subscribers, "intent_id", uss_api.INTENT_DETAILS_SHOWN
    )


def _details(ref: IntentRef, priority: int) -> Any:
    """``{reference, details}`` as the details read answers them (the same builder)."""
    answer = uss_api.intent_details(ref, priority).model_dump(mode="json", exclude_none=True)
    return answer["operational_intent"]
