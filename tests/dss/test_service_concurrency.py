"""Concurrent writers: the key check and the write are one transaction, and so are the
notification-index increments."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from deconflict.dss.records import Extent, IntentChange, IntentParams, SubscriptionParams
from deconflict.dss.service import DssService
from deconflict.dss.uuids import new_uuid4
from deconflict.errors import AirspaceConflict
from deconflict.geo.footprint import Circle
from deconflict.model.operation import OperationState
from deconflict.store.dss import DssStore
from deconflict.store.sql import SqlStore

WRITERS = 6


def extent(lower: float = 0.0, upper: float = 100.0) -> Extent:
    now = datetime.now(UTC)
    return Extent(
        Circle(7.0, 46.0, 300.0), lower, upper, now + timedelta(minutes=1), now + timedelta(hours=1)
    )


def create(service: DssService, uss: str, e: Extent) -> IntentChange | None:
    params = IntentParams((e,), OperationState.ACCEPTED, f"https://{uss}.example.com")
    try:
        return service.put_intent(uss, new_uuid4(), None, params, conformance_monitoring=False)
    except AirspaceConflict:
        return None


def test_of_concurrent_overlapping_creations_without_keys_exactly_one_succeeds(
    store: SqlStore,
) -> None:
    service = DssService(DssStore(store))
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(lambda i: create(service, f"uss{i}", extent()), range(WRITERS)))
    assert sum(r is not None for r in results) == 1


def test_concurrent_changes_each_get_their_own_notification_index(store: SqlStore) -> None:
    service = DssService(DssStore(store))
    now = datetime.now(UTC)
    area = Extent(Circle(7.0, 46.0, 1000.0), None, None, now, now + timedelta(hours=2))
    sub = service.put_subscription(
        "watcher", new_uuid4(), None, SubscriptionParams(area, "https://w.example.com", True)
    ).subscription
    # Distinct altitude bands: the intents do not conflict, but all touch the subscription.
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(
            pool.map(
                lambda i: create(service, f"uss{i}", extent(200.0 * i, 200.0 * i + 100)),
                range(WRITERS),
            )
        )
    indices = sorted(
        n for r in results if r is not None for s in r.subscribers for _, n in s.subscriptions
    )
    assert indices == list(range(1, WRITERS + 1))
    assert service.get_subscription("watcher", sub.id).notification_index == WRITERS
