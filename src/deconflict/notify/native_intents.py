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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.core.engine import ChangeKind, OperationChange
from deconflict.dss.checks import volumes_cells
from deconflict.dss.native_intents import is_shown
from deconflict.dss.records import IntentRef, Subscriber
from deconflict.dss.service import group_subscribers
from deconflict.dss.wire import uss_api
from deconflict.dss.wire.uss_notifications import with_subscriptions
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation
from deconflict.store.dss import SqlDssSession

DETAILS_SHOWN = ("volumes", "state", "priority", "time_start", "time_end")
"""What a notification with details shows of the operation (what the details read shows)."""
END_SHOWN = ("ended",)
"""What a notification without details shows: that the intent is gone."""


@dataclass(frozen=True)
class NativeNotice:
    """One native change as subscribed USSs are told of it."""

    intent_id: str
    """The F3548 id USSs know the operation by."""
    version: int | None
    """The version shown, None when the operation is told as ended."""
    part: dict[str, Any]
    """The body without ``subscriptions``: the same for every subscriber."""
    subscribers: tuple[Subscriber, ...]
    """One per USS base URL, each with its subscriptions' new indices."""

    @property
    def ended(self) -> bool:
        return self.version is None

    def body(self, subscriptions: tuple[tuple[str, int], ...]) -> dict[str, Any]:
        """The ``PutOperationalIntentDetailsParameters`` for one subscriber."""
        return with_subscriptions(self.part, subscriptions)


def native_notice(dss: SqlDssSession, change: OperationChange) -> NativeNotice | None:
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
    subscribers = _bump(dss, [*op.volumes, *(before.volumes if before is not None else ())])
    if not subscribers:
        return None
    found = dss.native_intent(intent_id) if shown_now else None
    part: dict[str, Any] = {"operational_intent_id": intent_id}
    version: int | None = None
    if found is not None:
        ref, _ = found
        part["operational_intent"] = _details(ref, op.priority)
        version = ref.version
    return NativeNotice(intent_id, version, part, subscribers)


def _details(ref: IntentRef, priority: int) -> Any:
    """``{reference, details}`` as the details read answers them (the same builder)."""
    answer = uss_api.intent_details(ref, priority).model_dump(mode="json", exclude_none=True)
    return answer["operational_intent"]


def _bump(dss: SqlDssSession, volumes: Iterable[Volume4D]) -> tuple[Subscriber, ...]:
    """Bump the intent subscriptions over ``volumes`` (cells and span, as the DSS
    bumps over an intent's old and new extents): one ``Subscriber`` per base URL."""
    vs = list(volumes)
    start: datetime = min(v.time.start for v in vs)
    end: datetime = max(v.time.end for v in vs)
    notified = dss.bump_notification_indices(volumes_cells(vs), start, end, for_constraints=False)
    return group_subscribers(notified)


def owners_of(dss: SqlDssSession, subscriber: Subscriber) -> list[str]:
    """The USSs (token subjects) whose subscriptions a notification answers."""
    owners = set()
    for sub_id, _ in subscriber.subscriptions:
        sub = dss.get_subscription(sub_id)
        if sub is not None:
            owners.add(sub.owner)
    return sorted(owners)


def disclosures(
    notice: NativeNotice, op: Operation, subscriber: Subscriber, owners: Iterable[str]
) -> list[AuditEntry]:
    """The owner's record of a notification: which USS was told (its ``sub``, where it
    was told), under which F3548 id and version, and what the body held."""
    detail = {
        "via": "uss.notification",
        "level": "f3548_ended" if notice.ended else "f3548_details",
        "intent_id": notice.intent_id,
        "version": notice.version,
        "uss_base_url": subscriber.uss_base_url,
        "shown": list(END_SHOWN if notice.ended else DETAILS_SHOWN),
    }
    return [
        AuditEntry(DISCLOSURE, uss, op.party, "operation", op.id, dict(detail))
        for uss in owners
        if uss != op.party
    ]
