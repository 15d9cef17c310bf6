"""The hotline of one process: the service over the SQL store, and its escalation loop.

Delivery goes through the notifier's party event log and every message is audited in
the transaction that writes it, so the hotline domain itself knows neither SQL nor the
outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson

from deconflict.audit.entry import AuditEntry
from deconflict.hotline.escalator import EscalationThread
from deconflict.hotline.events import PartyNotice
from deconflict.hotline.service import Hotline
from deconflict.notify.recorder import Notifier
from deconflict.settings import Settings
from deconflict.store.audit import append_audit
from deconflict.store.hotline import SqlTransactions
from deconflict.store.outbox import NewEvent
from deconflict.store.sharing import policy_of
from deconflict.store.sql import SqlStore


class HotlineParts:
    """The hotline service and, when configured, its in-process escalation loop."""

    def __init__(self, store: SqlStore, settings: Settings, notifier: Notifier) -> None:
        def deliver(session: object, notices: Sequence[PartyNotice]) -> None:
            events = [NewEvent(n.party, n.kind, orjson.dumps(n.body).decode()) for n in notices]
            notifier.record_events(session, events)

        def audit(session: object, entries: Sequence[AuditEntry]) -> None:
            append_audit(session, entries)

        self.settings = settings.hotline

        def identification(session: object) -> Callable[[str, str], bool]:
            return policy_of(session).may_identify

        self.hotline = Hotline(
            SqlTransactions(store),
            deliver,
            settings.hotline,
            audit=audit,
            identification=identification,
            clock=notifier.clock,
        )
        self.escalator = EscalationThread(self.hotline, settings.hotline.escalation_interval_s)

    def start(self) -> None:
        if self.settings.escalation_in_process:
            self.escalator.start()

    def stop(self) -> None:
        self.escalator.stop()
