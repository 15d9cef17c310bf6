"""The service's figures: a registry per service, the collectors that read the database,
the delivery worker and the live picture when scraped, and an engine that counts its
decisions. ``deconflict.api.metrics`` serves them on ``/metrics`` and adds the HTTP
request figures.

Each service has its own ``CollectorRegistry``, never the process-global one: a test
run builds hundreds of services in one process, and a second one registering the same
names on the global registry would fail (and would mix two services' figures).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from deconflict.core.engine import Decision, StrategicEngine
from deconflict.model.operation import Operation, OperationState
from deconflict.notify.worker import DeliveryCounts
from deconflict.store.audit import count_pending as audit_pending_count
from deconflict.store.outbox import OutboxStatus
from deconflict.store.schema_notify import notify_outbox
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture

log = logging.getLogger(__name__)


class ServiceMetrics:
    """The metrics of one app, on a registry of its own."""

    def __init__(
        self,
        store: SqlStore,
        deliveries: Callable[[], DeliveryCounts | None],
        live: Callable[[], LivePicture | None],
    ) -> None:
        """``deliveries`` and ``live`` are read at each scrape: the picture a test swaps
        in is the one measured."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "deconflict_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "deconflict_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response.",
            ["method", "route"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "deconflict_planning_decisions",
            "Planning decisions: kind is check (dry run), submit or state; outcome is "
            "accepted or refused.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.conflicts = Counter(
            "deconflict_planning_conflicts",
            "Conflicts found by planning decisions, by kind and verdict (blocking, notice).",
            ["kind", "verdict"],
            registry=self.registry,
        )
        self.registry.register(DatabaseCollector(store))
        self.registry.register(StoreCollector(store))
        self.registry.register(TacticalCollector(live))
        self.registry.register(DeliveryCollector(deliveries))

    def decided(self, kind: str, decision: Decision) -> None:
        outcome = "accepted" if decision.accepted else "refused"
        self.decisions.labels(kind, outcome).inc()
        blocking, notices = len(decision.blocking), len(decision.notices)
        if blocking:
            self.conflicts.labels(kind, "blocking").inc(blocking)
        if notices:
            self.conflicts.labels(kind, "notice").inc(notices)


class DatabaseCollector(Collector):
    """Figures the database holds, counted when scraped (one connection, indexed counts):
    the outbox's depth and dead letters, and the audit entries not yet chained."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return list(self._families())

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        outbox = GaugeMetricFamily(
            "deconflict_outbox_notifications",
            "Notifications in the outbox: pending (queued or retrying) and failed "
            "(dead letters, kept for operators).",
            labels=["status"],
        )
        audit = GaugeMetricFamily(
            "deconflict_audit_pending_entries",
            "Audit entries recorded but not yet linked into the hash chain (the chain's lag).",
        )
        return outbox, audit

    def collect(self) -> Iterable[GaugeMetricFamily]:
        wanted = (OutboxStatus.PENDING.value, OutboxStatus.FAILED.value)
        stmt = (
            select(notify_outbox.c.status, func.count())
            .where(notify_outbox.c.status.in_(wanted))
            .group_by(notify_outbox.c.status)
        )
        try:
            with self.store.engine.connect() as conn:
                counts = {str(s): int(n) for s, n in conn.execute(stmt)}
                unchained = audit_pending_count(conn)
        except SQLAlchemyError as exc:
            # A scrape must not fail on a database outage (/ready reports that): these
            # series are left out of this scrape instead.
            log.warning("metrics: database figures not counted: %s", exc)
            return []
        outbox, audit = self._families()
        for status in wanted:
            outbox.add_metric([status], counts.get(status, 0))
        audit.add_metric([], unchained)
        return [outbox, audit]


class StoreCollector(Collector):
    """The store's retried and given-up transactions (its own counters, read as is)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def collect(self) -> Iterable[CounterMetricFamily]:
        counts = self.store.counts
        yield CounterMetricFamily(
            "deconflict_store_retries",
            "Transactions retried after a transient database failure (serialization, lock).",
            value=counts.retries,
        )
        yield CounterMetricFamily(
            "deconflict_store_unavailable",
            "Transactions given up (a 503 to the caller): database down, or out of time.",
            value=counts.unavailable,
        )


class DeliveryCollector(Collector):
    """The notification worker's delivery attempts by outcome (its own counters)."""

    def __init__(self, counts: Callable[[], DeliveryCounts | None]) -> None:
        self.counts = counts

    def collect(self) -> Iterable[CounterMetricFamily]:
        counts = self.counts()
        if counts is None:
            return
        family = CounterMetricFamily(
            "deconflict_notify_delivery_attempts",
            "F3548 notification delivery attempts by this process: delivered, failed (to be "
            "retried) or dead_lettered (given up).",
            labels=["outcome"],
        )
        family.add_metric(["delivered"], counts.delivered)
        family.add_metric(["failed"], counts.failed)
        family.add_metric(["dead_lettered"], counts.dead_lettered)
        yield family


class TacticalCollector(Collector):
    """The live picture's detection passes (count and total time) and its track count."""

    def __init__(self, live: Callable[[], LivePicture | None]) -> None:
        self.live = live

    def collect(self) -> Iterable[SummaryMetricFamily | GaugeMetricFamily]:
        live = self.live()
        if live is None:
            return
        stats = live.stats
        yield SummaryMetricFamily(
            "deconflict_tactical_pass_seconds",
            "Tactical detection passes (on a submission or the ticker) and their time.",
            count_value=stats.passes,
            sum_value=stats.seconds,
        )
        yield GaugeMetricFamily(
            "deconflict_tactical_tracks",
            "Live tracks seen by the last detection pass.",
            value=stats.tracks,
        )


class MeteredEngine(StrategicEngine):
    """The strategic engine, counting each decision it returns."""

    def __init__(self, *args: Any, metrics: ServiceMetrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def check(self, planned: Operation) -> Decision:
        decision = super().check(planned)
        self.metrics.decided("check", decision)
        return decision

    def submit(self, planned: Operation, expected_version: int | None = None) -> Decision:
        decision = super().submit(planned, expected_version)
        self.metrics.decided("submit", decision)
        return decision

    def set_state(self, operation_id: str, state: OperationState) -> Decision:
        decision = super().set_state(operation_id, state)
        self.metrics.decided("state", decision)
        return decision
