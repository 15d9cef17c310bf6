"""Writing notifications inside the change's own transaction (the outbox pattern).

``Notifier`` is the engine's ``on_change`` hook and the DSS service's notifier port. It
only writes rows; sending is the delivery worker's job, after commit, so a request
never waits on a receiver and a crash can lose neither a change's notifications nor
send notifications for a change that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.core.engine import OperationChange
from deconflict.core.report import OperationConflict
from deconflict.dss.native_intents import NativeIdentity
from deconflict.dss.records import ConstraintChange, IntentChange, Subscriber
from deconflict.dss.wire import uss_notifications
from deconflict.hotline.model import ConflictKind
from deconflict.model.constraint import Constraint
from deconflict.notify import bodies, native_constraints, uss_plans
from deconflict.notify.disclosure import (
    AgreedSharing,
    Disclosure,
    DisclosureSource,
    ServiceWideSharing,
)
from deconflict.notify.native_intents import native_notice
from deconflict.notify.uss_notices import ReferenceNotice, owners_of
from deconflict.settings import EqualPriorityPolicy, NotifySettings
from deconflict.store.audit import append_audit
from deconflict.store.codec import to_us
from deconflict.store.dss import SqlDssSession
from deconflict.store.hotline import conflict_id_for
from deconflict.store.outbox import NewEvent, NewNotification, add_notifications, append_events
from deconflict.store.sessions import connection_of
from deconflict.store.sql import SqlSession

KIND_INTENT = "operational_intent"
KIND_CONSTRAINT = "constraint"
INTENTS_PATH = uss_notifications.INTENTS_PATH
_USS_PATHS = {
    KIND_INTENT: INTENTS_PATH,
    KIND_CONSTRAINT: uss_notifications.CONSTRAINTS_PATH,
}
"""Where a subscribed USS is told of a change of each kind (F3548's USS API)."""
_ACCEPTED = EqualPriorityPolicy.ALLOW_WITH_NOTICE


def _utcnow() -> datetime:
    return datetime.now(UTC)


def target_url(uss_base_url: str, path: str) -> str:
    return uss_base_url.rstrip("/") + path


def channel_of(uss_base_url: str) -> str:
    """Receivers are told apart by base URL (scheme and host case-folded)."""
    parts = urlsplit(uss_base_url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


class Notifier:
    """Records notifications; ``written`` callbacks fire as soon as rows are written
    (still inside the transaction) so in-process readers can look sooner than their
    next poll. They must tolerate finding nothing yet."""

    def __init__(
        self,
        settings: NotifySettings,
        *,
        relay_uss_changes: bool = False,
        identity: NativeIdentity | None = None,
        disclosure: DisclosureSource | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.settings = settings
        self.relay_uss_changes = relay_uss_changes
        """Whether a USS's own change through the DSS is also POSTed, by the service, to
        the subscribers the DSS answer lists (``DssSettings.relay_uss_notifications``).
        Off by default: F3548 makes the managing USS notify, and a relay duplicates its
        notifications, writes a body with a priority the service does not know, and hands
        every subscriber the OVN that only the manager should give out."""
        self.identity = identity or NativeIdentity()
        """Who the service is to USSs as the manager of native operations
        (``DssSettings.manager`` and ``base_url``): it tells their subscribers of them."""
        self.disclosure: DisclosureSource = disclosure or (
            ServiceWideSharing(True) if settings.name_other_operation else AgreedSharing()
        )
        self.clock = clock
        self.on_outbox: list[Callable[[], None]] = []
        self.on_events: list[Callable[[Iterable[str]], None]] = []

    # ------------------------------------------------------------ native engine

    def operation_changed(self, session: Any, change: OperationChange) -> None:
        op = change.operation
        events = [
            NewEvent(
                op.party, f"operation.{change.kind.value}", _dump(bodies.operation_event(change))
            )
        ]
        if change.notices:
            disclosure = self.disclosure.in_session(session)
            shown: list[AuditEntry] = []
            for conflict in change.notices:
                conflict_id = self._conflict_id(session, conflict)
                for party, body in bodies.conflict_notices(conflict, disclosure, conflict_id):
                    events.append(NewEvent(party, "conflict.notice", _dump(body)))
                shown.extend(_notice_disclosures(conflict, disclosure))
            append_audit(session, shown)
        self.record_events(session, events)
        self._tell_subscribed_usss(session, change)

    def _tell_subscribed_usss(self, session: Any, change: OperationChange) -> None:
        """As the native operation's USS: bump the subscriptions over its old and new
        airspace and queue the standard notification to each subscribed USS, recording
        each as a disclosure in the owner's audit log. The service's own subscriptions
        (at its own base URL) are bumped but not posted to: it knows its operations."""
        dss = SqlDssSession(session, identity=self.identity)
        op = change.operation
        notice = native_notice(dss, change)
        self._tell_usss(session, dss, notice, KIND_INTENT, op.party, "operation", op.id)

    def native_constraint_changed(
        self, session: Any, constraint_id: str, old: Constraint | None, new: Constraint | None
    ) -> None:
        """As the native constraint's USS (``new`` None: deleted, told before its rows
        go): bump the constraint subscriptions over its old and new airspace and queue
        the standard notification to each subscribed USS, recording each as a disclosure
        in the owner's audit log; the service's own base URL is not posted to."""
        dss = SqlDssSession(SqlSession(connection_of(session)), identity=self.identity)
        notice = native_constraints.constraint_notice(dss, constraint_id, old, new)
        shown = new if new is not None else old
        owner = shown.owner if shown is not None else ""
        self._tell_usss(session, dss, notice, KIND_CONSTRAINT, owner, "constraint", constraint_id)

    def _tell_usss(
        self,
        session: Any,
        dss: SqlDssSession,
        notice: ReferenceNotice | None,
        kind: str,
        owner: str,
        object_kind: str,
        object_id: str,
    ) -> None:
        """Queue a managed reference's change to each subscribed USS but the service
        itself (it knows its own references), each a disclosure in the owner's record."""
        if notice is None or not self.settings.deliver_uss_notifications:
            return
        own = channel_of(self.identity.uss_base_url)
        told = tuple(s for s in notice.subscribers if channel_of(s.uss_base_url) != own)
        self._queue(session, told, _USS_PATHS[kind], kind, notice.reference_id, notice.body)
        entries = [
            e
            for s in told
            for e in notice.disclosures(owner, object_kind, object_id, s, owners_of(dss, s))
        ]
        append_audit(session, entries)

    def _conflict_id(self, session: Any, conflict: OperationConflict) -> str | None:
        """The hotline's id for this pair of operations (None within one party)."""
        a, b = conflict.a, conflict.b
        if a.party == b.party:
            return None
        sides = ((a.party, a.id), (b.party, b.id))
        return conflict_id_for(connection_of(session), ConflictKind.STRATEGIC, *sides, self.clock())

    def record_events(self, session: Any, events: list[NewEvent]) -> None:
        """Append party events in the caller's transaction (also for other writers,
        e.g. native constraints or tactical alerts, that want durable party events)."""
        append_events(connection_of(session), events, to_us(self.clock()))
        parties = {e.party for e in events}
        for cb in self.on_events:
            cb(parties)

    # ---------------------------------------------------------------------- DSS

    def intent_changed(self, session: Any, change: IntentChange, *, deleted: bool) -> None:
        ref = change.intent
        part = uss_notifications.intent_part(ref, deleted) if self._relays(change) else {}
        event = bodies.intent_event(ref, deleted)
        self._dss_changed(session, KIND_INTENT, ref.id, ref.manager, change, part, event, deleted)
        # Native parties whose operations it meets are told. The DSS accepted it under
        # the service's rules, so every overlap left is one the rules allow with notice.
        plan = uss_plans.plan_of(session, ref)
        told = uss_plans.tell_natives(
            session, plan, deleted=deleted, policy=_ACCEPTED, met=change.natives
        )
        if told:
            self.record_events(session, told)

    def constraint_changed(self, session: Any, change: ConstraintChange, *, deleted: bool) -> None:
        ref = change.constraint
        part = uss_notifications.constraint_part(ref, deleted) if self._relays(change) else {}
        event = bodies.constraint_event(ref, deleted)
        self._dss_changed(
            session, KIND_CONSTRAINT, ref.id, ref.manager, change, part, event, deleted
        )

    def _dss_changed(
        self,
        session: Any,
        kind: str,
        entity_id: str,
        manager: str,
        change: IntentChange | ConstraintChange,
        part: dict[str, Any],
        event: dict[str, Any],
        deleted: bool,
    ) -> None:
        """One DSS change of ``kind``: ``part`` (the F3548 body) to each subscribed USS
        with its own subscriptions when the service relays USS changes, and ``event`` to
        the manager as ``<kind>.changed`` or ``<kind>.deleted``."""
        if self._relays(change):
            self._queue(
                session,
                change.subscribers,
                _USS_PATHS[kind],
                kind,
                entity_id,
                lambda subs: uss_notifications.with_subscriptions(part, subs),
            )
        name = f"{kind}.{'deleted' if deleted else 'changed'}"
        self.record_events(session, [NewEvent(manager, name, _dump(event))])

    def _relays(self, change: IntentChange | ConstraintChange) -> bool:
        return self.relay_uss_changes and bool(change.subscribers)

    def _queue(
        self,
        session: Any,
        subscribers: tuple[Subscriber, ...],
        path: str,
        kind: str,
        entity_id: str,
        body: Callable[[tuple[tuple[str, int], ...]], dict[str, Any]],
    ) -> None:
        if not self.settings.deliver_uss_notifications or not subscribers:
            return
        items = [
            NewNotification(
                channel=channel_of(s.uss_base_url),
                url=target_url(s.uss_base_url, path),
                kind=kind,
                entity_id=entity_id,
                body=_dump(body(s.subscriptions)),
            )
            for s in subscribers
        ]
        add_notifications(connection_of(session), items, to_us(self.clock()))
        for cb in self.on_outbox:
            cb()


def _notice_disclosures(conflict: OperationConflict, disclosure: Disclosure) -> list[AuditEntry]:
    """Each side's notice shows where and when the other side's operation overlaps."""
    out = []
    for own, other in ((conflict.a, conflict.b), (conflict.b, conflict.a)):
        if own.party != other.party:
            named = disclosure.may_name(own.party, own, other)
            detail = {"via": "conflict.notice", "level": "conflict", "id": named}
            out.append(
                AuditEntry(DISCLOSURE, own.party, other.party, "operation", other.id, detail)
            )
    return out


def _dump(body: dict[str, Any]) -> str:
    return orjson.dumps(body).decode()
