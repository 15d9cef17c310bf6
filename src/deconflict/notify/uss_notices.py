"""A change of a reference the service manages, as the USSs subscribed over it are told.

Native operations (``notify.native_intents``) and native constraints
(``notify.native_constraints``) are told alike: the subscriptions over the old and new
airspace are bumped by the store call the DSS uses, one body per subscriber base URL
carries the same part plus that subscriber's new indices, and each USS told is a
disclosure in the owner's audit record. What differs (which subscriptions, the body's
part, what it shows) is given by the two callers; the rest is written here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.dss.checks import volumes_cells
from deconflict.dss.records import Subscriber
from deconflict.dss.wire.uss_notifications import with_subscriptions
from deconflict.geo.volume import Volume4D
from deconflict.store.dss import SqlDssSession

END_SHOWN = ("ended",)
"""What a notification without details shows: that the reference is gone."""


@dataclass(frozen=True)
class ReferenceNotice:
    """One change of a managed reference as subscribed USSs are told of it."""

    reference_id: str
    """The F3548 id USSs know the reference by."""
    version: int | None
    """The version shown, None when the reference is told as gone."""
    part: dict[str, Any]
    """The body without ``subscriptions``: the same for every subscriber."""
    subscribers: tuple[Subscriber, ...]
    """One per USS base URL, each with its subscriptions' new indices."""
    id_field: str
    """How the owner's audit record names the F3548 id (``intent_id``, ...)."""
    details_shown: tuple[str, ...]
    """What a body with details shows (what the details read shows)."""

    @property
    def ended(self) -> bool:
        return self.version is None

    def body(self, subscriptions: tuple[tuple[str, int], ...]) -> dict[str, Any]:
        """The ``Put*DetailsParameters`` for one subscriber."""
        return with_subscriptions(self.part, subscriptions)

    def disclosures(
        self,
        owner: str,
        object_kind: str,
        object_id: str,
        subscriber: Subscriber,
        usss: Iterable[str],
    ) -> list[AuditEntry]:
        """The owner's record of one notification: which USSs were told (their ``sub``,
        where), under which F3548 id and version, and what the body held."""
        detail = {
            "via": "uss.notification",
            "level": "f3548_ended" if self.ended else "f3548_details",
            self.id_field: self.reference_id,
            "version": self.version,
            "uss_base_url": subscriber.uss_base_url,
            "shown": list(END_SHOWN if self.ended else self.details_shown),
        }
        return [
            AuditEntry(DISCLOSURE, uss, owner, object_kind, object_id, dict(detail))
            for uss in usss
            if uss != owner
        ]


def bump(
    dss: SqlDssSession, volumes: Iterable[Volume4D], *, for_constraints: bool
) -> tuple[Subscriber, ...]:
    """Bump the subscriptions over ``volumes`` (cells and span, as the DSS bumps over an
    entity's old and new extents) that ask for this kind: one ``Subscriber`` per base URL."""
    vs = list(volumes)
    start = min(v.time.start for v in vs)
    end = max(v.time.end for v in vs)
    return dss.bump_notification_indices(
        volumes_cells(vs), start, end, for_constraints=for_constraints
    )


def owners_of(dss: SqlDssSession, subscriber: Subscriber) -> list[str]:
    """The USSs (token subjects) whose subscriptions a notification answers."""
    owners = set()
    for sub_id, _ in subscriber.subscriptions:
        sub = dss.get_subscription(sub_id)
        if sub is not None:
            owners.add(sub.owner)
    return sorted(owners)
