"""The live picture wired into the service: operation states through the engine, alert
events and conformance notices to the party event stream, hotline registration and the
audit trail of what was shown to whom.

What leaves through the party event stream (``/v1/events``, ``/v1/stream``): alert
events to both parties of an alert, on lifecycle and severity changes only (never per
position report), and ``conformance.notice`` to the parties flying near an operation
that monitoring made Nonconforming or Contingent, or that recovered. Each batch is one
transaction: events, hotline registrations and audit entries commit together.

Several replicas (issue 19): every replica holds the whole picture (``picture_sync.py``
shares the reports), so each detects each conflict; the alert events go out once all the
same, because each batch is settled against the shared ``tactical_alerts`` table in the
transaction that writes it (``store/tactical_alerts.py``). A batch that cannot be written
(the database is down) is kept, in order, and written again every ``RETRY_S`` until it
goes through: an alert detected during an outage reaches the streams once the database
is back. Settling is idempotent, so a batch retried after another replica announced the
same alert adds nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

import orjson

from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.core.engine import StrategicEngine
from deconflict.dss.wire.uss_notifications import volume4d
from deconflict.errors import ConflictIdTaken, TransitionRefused
from deconflict.geo.volume import Volume4D
from deconflict.hotline.model import ConflictKind
from deconflict.model.times import rfc3339
from deconflict.model.transitions import is_allowed
from deconflict.notify.recorder import Notifier
from deconflict.settings import Settings
from deconflict.store.audit import append_audit
from deconflict.store.hotline import register_conflict
from deconflict.store.outbox import NewEvent
from deconflict.store.sharing import policy_of
from deconflict.store.sql import SqlStore
from deconflict.store.tactical_alerts import settle
from deconflict.tactical.alerts import EventKind
from deconflict.tactical.configure import live_config
from deconflict.tactical.live import (
    MONITORED_STATES,
    OFF_NOMINAL_STATES,
    Clock,
    LiveConfig,
    LivePicture,
    MonitoredOperation,
    PositionReport,
    utc_now,
)
from deconflict.tactical.nearby import STATE_NOTICE, Region, nearby_parties, trouble_regions
from deconflict.tactical.sharing import Sharing
from deconflict.tactical.views import AlertNotice, Disclosed, StateChange
from deconflict.tactical.wire_forms import alert_json

log = logging.getLogger(__name__)

ALERT_EVENT_KINDS = {
    EventKind.NEW: "alert.new",
    EventKind.SEVERITY_CHANGED: "alert.updated",
    EventKind.RESOLVED: "alert.resolved",
    EventKind.ACKNOWLEDGED: "alert.acknowledged",
}
CONFORMANCE_EVENT = "conformance.notice"


def sharing_of(session: Any) -> Sharing:
    """The sharing agreements in force in ``session``'s transaction (for events)."""
    policy: Sharing = policy_of(session)
    return policy


class PictureWiring(Protocol):
    """What the live picture reads of the service, at call time (``Services``)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> SqlStore: ...

    @property
    def engine(self) -> StrategicEngine: ...

    @property
    def notifier(self) -> Notifier: ...


def alert_event_json(notice: AlertNotice, sharing: Sharing) -> dict[str, Any]:
    """The body of an ``alert.*`` party event: the alert as ``GET /v1/alerts`` shows it
    to that party, plus who acknowledged for ``alert.acknowledged``."""
    body = alert_json(notice.view_for(sharing))
    if notice.acknowledged_by is not None:
        body["acknowledged_by_you"] = notice.acknowledged_by == notice.party
    return body


def publish_alerts(wiring: PictureWiring, notices: Sequence[AlertNotice]) -> dict[int, int]:
    """Alert events to every party involved, in one transaction of the party event log;
    returns the alert ids another replica had already announced (ours -> theirs).

    A new alert between two parties is registered with the hotline in the same
    transaction (conflict id = alert id), so the id a party sees can be messaged about.
    Only the events ``settle`` lets through are written (one per event of a conflict
    pair, whichever replicas detected it).
    """
    if not notices:
        return {}
    notifier = wiring.notifier
    store = wiring.store

    def work(session: Any) -> dict[int, int]:
        settled, adopted = settle(session, notices)
        publish_settled(session, settled)
        return adopted

    def publish_settled(session: Any, notices: Sequence[AlertNotice]) -> None:
        if not notices:
            return
        sharing = sharing_of(session)
        events = [
            NewEvent(
                n.party,
                ALERT_EVENT_KINDS[n.kind],
                orjson.dumps(alert_event_json(n, sharing)).decode(),
            )
            for n in notices
        ]
        registered: set[int] = set()
        for n in notices:
            alert_id = n.view.alert_id
            if n.kind is not EventKind.NEW or n.other_party == n.party or alert_id in registered:
                continue
            registered.add(alert_id)
            try:
                register_conflict(
                    session,
                    str(alert_id),
                    n.party,
                    n.other_party,
                    ConflictKind.TACTICAL,
                    n.view.own,
                    n.other_id,
                )
            except ConflictIdTaken:
                log.error("alert id %s is already a hotline conflict of other parties", alert_id)
        notifier.record_events(session, events)
        append_audit(session, alert_disclosures(notices, sharing))

    adopted: dict[int, int] = store.run(work)
    return adopted


RETRY_S = 1.0
"""How often alert events that could not be written are tried again."""


class AlertPublisher:
    """Writes the picture's alert events in order, keeping what fails for later.

    A batch that raises (``StoreUnavailable``: the database is down, or in a failover)
    stays at the head of the queue, and a retry thread tries again every ``RETRY_S``
    until the queue is empty; later batches wait behind it, so a party never hears of a
    resolution before the alert. Ids another replica announced first are handed to
    ``picture.adopt_ids``.
    """

    def __init__(self, wiring: PictureWiring) -> None:
        self._wiring = wiring
        self.picture: LivePicture | None = None
        self._queue: deque[list[AlertNotice]] = deque()
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._retrying = False

    @property
    def waiting(self) -> int:
        """Batches not written yet."""
        with self._lock:
            return len(self._queue)

    def publish(self, notices: Sequence[AlertNotice]) -> None:
        with self._lock:
            self._queue.append(list(notices))
        self.drain()

    def drain(self) -> bool:
        """Write what is queued; False (and a retry scheduled) if the database failed."""
        with self._drain_lock:
            while True:
                with self._lock:
                    if not self._queue:
                        return True
                    batch = self._queue[0]
                try:
                    adopted = publish_alerts(self._wiring, batch)
                except Exception as exc:
                    log.warning(
                        "%d alert events kept to send when the database answers: %s",
                        len(batch),
                        exc,
                    )
                    self._schedule_retry()
                    return False
                with self._lock:
                    self._queue.popleft()
                if adopted and self.picture is not None:
                    self.picture.adopt_ids(adopted)

    def _schedule_retry(self) -> None:
        with self._lock:
            if self._retrying:
                return
            self._retrying = True
        threading.Thread(target=self._retry, name="deconflict-alert-retry", daemon=True).start()

    def _retry(self) -> None:
        try:
            while True:
                threading.Event().wait(RETRY_S)
                if self.drain():
                    return
        finally:
            with self._lock:
                self._retrying = False
            if self.waiting:  # queued after the last drain and before the flag fell
                self._schedule_retry()


def alert_disclosures(notices: Sequence[AlertNotice], sharing: Sharing) -> list[AuditEntry]:
    """What alert events showed of another party's aircraft, for the audit log: one
    entry per party and other aircraft when the alert is new (its telemetry then reaches
    the party; later events of the same alert show the same aircraft)."""
    return [
        AuditEntry(
            DISCLOSURE,
            n.party,
            n.other_party,
            "track",
            n.other_id,
            {
                "via": ALERT_EVENT_KINDS[n.kind],
                "level": "telemetry",
                "id": sharing.may_identify(n.party, n.other_party),
                "alert": n.view.alert_id,
            },
        )
        for n in notices
        if n.kind is EventKind.NEW and n.other_party != n.party
    ]


def _where_json(regions: Sequence[Region]) -> dict[str, Any]:
    """The volumes in force (clipped to the window, F3548 ``Volume4D`` form) and the
    aircraft's last positions."""
    return {
        "volumes": [
            volume4d(Volume4D(r.footprint, r.altitude, r.time))
            for r in regions
            if r.aircraft is None
        ],
        "aircraft": [
            {
                "time": rfc3339(r.aircraft.time),
                "lat": r.aircraft.lat,
                "lon": r.aircraft.lon,
                "alt_m": r.aircraft.alt_m,
            }
            for r in regions
            if r.aircraft is not None
        ],
    }


def conformance_notice_json(
    change: StateChange,
    regions: Sequence[Region],
    horizon_s: float,
    yours: Sequence[str],
    name: bool,
) -> dict[str, Any]:
    """Where and when an off-nominal operation is (or that it recovered), not whose,
    unless ``name``; ``your_operations`` are the recipient's own operations nearby."""
    body: dict[str, Any] = {
        "change": STATE_NOTICE[change.state],
        "state": change.state.value,
        "at": rfc3339(change.at),
        "time_start": rfc3339(change.at),
        "time_end": rfc3339(change.at + timedelta(seconds=horizon_s)),
        "where": _where_json(regions),
        "your_operations": list(yours),
    }
    if name:
        body["operation_id"] = change.operation
        body["party"] = change.party
    return body


class NearbyTeller:
    """Tells the parties flying near an operation that monitoring changed its state.

    Remembers who was told of an off-nominal operation, so that its recovery reaches
    them even if they have moved away since.
    """

    def __init__(self, wiring: PictureWiring) -> None:
        self._wiring = wiring
        self._told: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def tell(self, change: StateChange, volumes: Sequence[Volume4D], config: LiveConfig) -> None:
        notifier = self._wiring.notifier
        store = self._wiring.store
        horizon_s = config.params.lookahead_s
        regions = trouble_regions(volumes, change.aircraft, change.at, horizon_s)
        recovered = change.state not in OFF_NOMINAL_STATES

        def work(session: Any) -> set[str]:
            near = nearby_parties(
                session,
                change,
                volumes,
                horizon_s=horizon_s,
                near_m=config.near_distance_m,
                near_vertical_m=config.near_vertical_m,
            )
            yours = {n.party: n.operations for n in near}
            with self._lock:
                before = self._told.get(change.operation, set()) if recovered else set()
            parties = sorted(set(yours) | before)
            sharing = sharing_of(session)
            events = [
                NewEvent(
                    party,
                    CONFORMANCE_EVENT,
                    orjson.dumps(
                        conformance_notice_json(
                            change,
                            regions,
                            horizon_s,
                            yours.get(party, ()),
                            sharing.may_identify(party, change.party),
                        )
                    ).decode(),
                )
                for party in parties
            ]
            notifier.record_events(session, events)
            append_audit(
                session,
                [
                    AuditEntry(
                        DISCLOSURE,
                        party,
                        change.party,
                        "operation",
                        change.operation,
                        {
                            "via": CONFORMANCE_EVENT,
                            "level": "where_and_when",
                            "id": sharing.may_identify(party, change.party),
                        },
                    )
                    for party in parties
                ],
            )
            return set(parties)

        told = store.run(work)
        with self._lock:
            if recovered:
                self._told.pop(change.operation, None)
            else:
                self._told.setdefault(change.operation, set()).update(told)


def live_picture(
    wiring: PictureWiring, config: LiveConfig | None = None, clock: Clock = utc_now
) -> LivePicture:
    """The live picture of a service, monitoring operations in its store through its
    engine.

    ``config`` defaults to the service's ``settings.tactical``. Store, engine and
    notifier are looked up on ``wiring`` at call time, not captured, so a test that
    swaps them keeps a consistent picture. Alert events and conformance notices go to
    the party event stream (``/v1/events``) through the notifier.
    """
    cfg = config if config is not None else live_config(wiring.settings.tactical)
    nearby = NearbyTeller(wiring)
    publisher = AlertPublisher(wiring)

    def load(op_id: str) -> MonitoredOperation | None:
        store = wiring.store
        found = store.run(lambda s: s.get(op_id), write=False)
        if found is None:
            return None
        op = found.operation
        return MonitoredOperation(op.party, op.state, op.volumes)

    def set_state(change: StateChange) -> bool:
        current = load(change.operation)
        if current is None or current.state not in MONITORED_STATES:
            return False  # deleted or ended meanwhile: monitoring must not bring it back
        if current.state is change.state:
            # Another replica's picture (the same tracks, the same monitoring) made
            # this change first and told the parties nearby: nothing left to do.
            return True
        if not is_allowed(current.state, change.state):
            # The one transition table decides here too: a Contingent operation only
            # ends (F3548), so an aircraft back inside leaves it Contingent.
            log.info(
                "operation %s stays %s: %s is not allowed from it",
                change.operation,
                current.state.value,
                change.state.value,
            )
            return False
        engine = wiring.engine
        try:
            decision = engine.set_state(change.operation, change.state)
        except TransitionRefused:
            return False  # changed by its party since the load above
        if not decision.accepted:
            # Back to Activated is refused while a blocking conflict exists; the operation
            # then stays off-nominal, which is the safe side.
            log.warning(
                "operation %s could not return to %s: conflicts", change.operation, change.state
            )
            return False
        try:
            nearby.tell(change, current.volumes, cfg)
        except Exception:
            log.exception("could not tell the parties near operation %s", change.operation)
        return True

    def share_reports(party: str, reports: Sequence[PositionReport]) -> None:
        sync = getattr(wiring, "picture_sync", None)
        if sync is not None:
            sync.share_reports(party, reports)

    def share_ack(party: str, alert_id: int) -> None:
        sync = getattr(wiring, "picture_sync", None)
        if sync is not None:
            sync.share_ack(party, alert_id)

    picture = LivePicture(
        cfg,
        load_operation=load,
        on_state=set_state,
        on_alerts=publisher.publish,
        on_disclosed=lambda shown: record_track_disclosures(wiring.store, shown),
        on_submitted=share_reports,
        on_acknowledged=share_ack,
        clock=clock,
    )
    publisher.picture = picture
    return picture


def record_track_disclosures(store: SqlStore, shown: Sequence[Disclosed]) -> None:
    """Track reads that showed another party's aircraft outside an alert, audited."""
    entries = [
        AuditEntry(
            DISCLOSURE,
            d.viewer,
            d.owner,
            "track",
            d.track_id,
            {"via": "tracks", "level": "telemetry", "reason": d.reason, "id": d.identified},
        )
        for d in shown
    ]
    store.run(lambda s: append_audit(s, entries))
