"""The composition root: every long-lived part of one service process, built in one place.

``Services.build(settings)`` wires the store, the strategic engine (metered, with the
notification and audit hooks on each change), notifications, the hotline, the audit
chainer and authentication-failure tally, the token verifier and the live tactical
picture. The API puts the one ``Services`` on ``app.state`` and reads it through
``deconflict.api.deps``; the CLI builds it where it runs workers. Nothing is started
by building: ``start()`` starts the background workers and ``stop()`` stops them, in
the reverse order, so that the last notifications and audit entries of a shutdown
are still written and chained.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deconflict.audit.keys import AuditKey, load_or_create_audit_key
from deconflict.auth.verify import TokenVerifier
from deconflict.core.engine import StrategicEngine
from deconflict.hotline.service import Hotline
from deconflict.notify.recorder import Notifier
from deconflict.notify.stream import PartyBus
from deconflict.notify.worker import DeliveryCounts
from deconflict.service.admission import PartyGate, ProbeBudget
from deconflict.service.audit_chainer import Chainer
from deconflict.service.audit_hooks import (
    AuditedDssNotifier,
    compose,
    record_operation_change,
)
from deconflict.service.auth_failures import AuthFailureRecorder
from deconflict.service.hotline_parts import HotlineParts
from deconflict.service.live_picture import live_picture
from deconflict.service.metering import MeteredEngine, ServiceMetrics
from deconflict.service.notify_parts import NotifyParts
from deconflict.service.picture_sync import PictureSync
from deconflict.service.rate_limits import RateLimits
from deconflict.settings import Settings
from deconflict.store.audit import use_key
from deconflict.store.constraints import airspace_of
from deconflict.store.sql import SqlStore, open_store
from deconflict.tactical.live import LivePicture


@dataclass(eq=False)
class Services:
    """The parts of one service process; build with :meth:`build`.

    ``live`` and ``audit_key`` may be replaced before serving (tests drive the live
    picture with their own clock, or take the audit key away); the routes read them
    from here on each request.
    """

    settings: Settings
    store: SqlStore
    owns_store: bool
    """The store was opened by :meth:`build`, so :meth:`stop` closes it."""
    notify: NotifyParts
    hotline_parts: HotlineParts
    audit_key: AuditKey | None
    chainer: Chainer
    auth_failures: AuthFailureRecorder
    dss_notifier: AuditedDssNotifier
    metrics: ServiceMetrics
    engine: StrategicEngine
    token_verifier: TokenVerifier
    party_gate: PartyGate
    probe_budget: ProbeBudget
    rate_limits: RateLimits
    live: LivePicture = field(init=False)
    picture_sync: PictureSync = field(init=False)
    """Shares the live picture with the other replicas (``service/picture_sync.py``)."""
    _started: bool = field(default=False, init=False)

    @classmethod
    def build(cls, settings: Settings, store: SqlStore | None = None) -> Services:
        """Wire a service from ``settings``; ``store`` lets tests (and ``deconflict
        serve``, which sets its own timeout) share one, otherwise it is opened here."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        owns_store = store is None
        if store is None:
            store = open_store(settings.resolved_database_url())
        notify = NotifyParts(store, settings)
        audit_key = load_or_create_audit_key(settings.data_dir)
        use_key(store.engine, audit_key)
        built: list[Services] = []  # the live picture needs the services it is part of

        def live_now() -> LivePicture | None:
            return built[0].live if built else None

        metrics = ServiceMetrics(store, deliveries=lambda: notify.worker.counts, live=live_now)
        engine = MeteredEngine(
            store,
            settings.equal_priority,
            on_change=compose(notify.notifier.operation_changed, record_operation_change),
            airspace=airspace_of,
            metrics=metrics,
        )
        services = cls(
            settings=settings,
            store=store,
            owns_store=owns_store,
            notify=notify,
            hotline_parts=HotlineParts(store, settings, notify.notifier),
            audit_key=audit_key,
            chainer=Chainer(store, key=audit_key),
            auth_failures=AuthFailureRecorder(store),
            dss_notifier=AuditedDssNotifier(notify.notifier),
            metrics=metrics,
            engine=engine,
            token_verifier=TokenVerifier.from_settings(settings.auth, settings.data_dir),
            party_gate=PartyGate(settings.limits),
            probe_budget=ProbeBudget(settings.limits),
            rate_limits=RateLimits(settings.rate_limits, metrics.registry),
        )
        services.live = live_picture(services)
        services.picture_sync = PictureSync(services)
        built.append(services)
        return services

    @property
    def notifier(self) -> Notifier:
        return self.notify.notifier

    @property
    def hotline(self) -> Hotline:
        return self.hotline_parts.hotline

    @property
    def party_bus(self) -> PartyBus:
        return self.notify.bus

    @property
    def deliveries(self) -> DeliveryCounts:
        return self.notify.worker.counts

    def wake_delivery(self) -> None:
        """Deliver now rather than at the worker's next poll."""
        self.notify.wake()

    def start(self) -> None:
        """Start the background workers: delivery first, so that whatever the others
        record has a worker to go to. Starting a started service does nothing."""
        if self._started:
            return
        self._started = True
        self.notify.start()
        self.auth_failures.start()
        self.chainer.start()
        self.hotline_parts.start()
        self.picture_sync.start()

    def stop(self) -> None:
        """Stop what :meth:`start` started, in reverse: the hotline's escalations and
        the last authentication failures are recorded before the chainer links them,
        and the delivery worker goes last. Closes the store if :meth:`build` opened it.
        Stopping twice, or without a start, is harmless."""
        self.picture_sync.stop()
        self.hotline_parts.stop()
        self.auth_failures.stop()
        self.chainer.stop()
        self.notify.stop()
        self._started = False
        if self.owns_store:
            self.owns_store = False
            self.store.close()
