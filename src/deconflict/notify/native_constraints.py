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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.dss.checks import volumes_cells
from deconflict.dss.native_constraints import SHOWN_TYPES
from deconflict.dss.records import Subscriber
from deconflict.dss.service import group_subscribers
from deconflict.dss.wire import uss_api
from deconflict.dss.wire.uss_notifications import with_subscriptions
from deconflict.geo.volume import Volume4D
from deconflict.model.constraint import Constraint
from deconflict.store.dss import SqlDssSession

DETAILS_SHOWN = ("volumes", "type", "time_start", "time_end")
"""What a notification with details shows of the constraint (what the details read shows)."""
END_SHOWN = ("ended",)
"""What a notification without details shows: that the constraint is gone."""


@dataclass(frozen=True)
class ConstraintNotice:
    """One native constraint change as subscribed USSs are told of it."""

    reference_id: str
    """The F3548 id USSs know the constraint by."""
    version: int | None
    """The version shown, None when the constraint is told as gone."""
    part: dict[str, Any]
    """The body without ``subscriptions``: the same for every subscriber."""
    subscribers: tuple[Subscriber, ...]
    """One per USS base URL, each with its subscriptions' new indices."""

    @property
    def ended(self) -> bool:
        return self.version is None

    def body(self, subscriptions: tuple[tuple[str, int], ...]) -> dict[str, Any]:
        """The ``PutConstraintDetailsParameters`` for one subscriber."""
        return with_subscriptions(self.part, subscriptions)


def constraint_notice(
    dss: SqlDssSession, constraint_id: str, old: Constraint | None, new: Constraint | None
) -> ConstraintNotice | None:
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
    subscribers = _bump(dss, volumes)
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
    return ConstraintNotice(reference_id, version, part, subscribers)


def _in(c: Constraint) -> list[Volume4D]:
    return [v for _, v in c.in_force()]


def _bump(dss: SqlDssSession, volumes: list[Volume4D]) -> tuple[Subscriber, ...]:
    """Bump the constraint subscriptions over ``volumes`` (cells and span, as the DSS
    bumps over a constraint's old and new extents): one ``Subscriber`` per base URL."""
    start = min(v.time.start for v in volumes)
    end = max(v.time.end for v in volumes)
    notified = dss.bump_notification_indices(
        volumes_cells(volumes), start, end, for_constraints=True
    )
    return group_subscribers(notified)


def disclosures(
    notice: ConstraintNotice,
    constraint_id: str,
    owner: str,
    subscriber: Subscriber,
    owners: Iterable[str],
) -> list[AuditEntry]:
    """The owner's record of a notification: which USS was told (its ``sub``, where it
    was told), under which F3548 id and version, and what the body held."""
    detail = {
        "via": "uss.notification",
        "level": "f3548_ended" if notice.ended else "f3548_details",
        "constraint_reference_id": notice.reference_id,
        "version": notice.version,
        "uss_base_url": subscriber.uss_base_url,
        "shown": list(END_SHOWN if notice.ended else DETAILS_SHOWN),
    }
    return [
        AuditEntry(DISCLOSURE, uss, owner, "constraint", constraint_id, dict(detail))
        for uss in owners
        if uss != owner
    ]
