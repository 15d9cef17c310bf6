"""The delivery worker on an injected clock and a scripted transport: order across
retries, independence of receivers, give-up, and the backoff schedule."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from deconflict.notify.backoff import Backoff
from deconflict.notify.worker import DeliveryWorker
from deconflict.store import outbox
from deconflict.store.codec import to_us
from deconflict.store.sql import SqlStore
from tests.notify.helpers import fast_notify

T0 = datetime(2030, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Tokens:
    def token(self, audience: str, scope: str) -> str:
        return f"{audience}|{scope}"


def enqueue(store: SqlStore, channel: str, n: int, start: int = 1) -> None:
    items = [
        outbox.NewNotification(
            channel,
            f"{channel}/uss/v1/operational_intents",
            "operational_intent",
            f"e{i}",
            orjson.dumps({"n": i}).decode(),
        )
        for i in range(start, start + n)
    ]
    store.run(lambda s: outbox.add_notifications(s.conn, items, to_us(T0)))


def statuses(store: SqlStore) -> list[tuple[str, str]]:
    rows = store.run(lambda s: outbox.list_notifications(s.conn, None), write=False)
    return [(r.entity_id, r.status.value) for r in rows]


def test_a_failed_head_holds_back_its_channel_but_not_others(store: SqlStore) -> None:
    sent: list[tuple[str, int]] = []
    failures = {("http://a", 1)}

    def handler(request: httpx.Request) -> httpx.Response:
        host = f"http://{request.url.host}"
        n = orjson.loads(request.content)["n"]
        sent.append((host, n))
        assert (
            request.headers["Authorization"]
            == f"Bearer {request.url.host}|utm.strategic_coordination"
        )
        if (host, n) in failures:
            failures.discard((host, n))
            return httpx.Response(503)
        return httpx.Response(204)

    clock = Clock()
    worker = DeliveryWorker(
        store,
        fast_notify(retry_base_s=1.0, retry_max_s=1.0),
        Tokens(),
        clock=clock,
        rng=random.Random(1),
        transport=httpx.MockTransport(handler),
    )
    enqueue(store, "http://a", 3)
    enqueue(store, "http://b", 2, start=10)
    asyncio.run(worker.drain())
    assert [x for x in sent if x[0] == "http://a"] == [("http://a", 1)]
    assert [x for x in sent if x[0] == "http://b"] == [("http://b", 10), ("http://b", 11)]
    assert statuses(store)[:3] == [("e1", "pending"), ("e2", "pending"), ("e3", "pending")]

    clock.now += timedelta(seconds=1.01)
    asyncio.run(worker.drain())
    assert [n for host, n in sent if host == "http://a"] == [1, 1, 2, 3]
    assert {s for _, s in statuses(store)} == {"delivered"}


def test_after_the_give_up_time_the_head_is_dead_lettered_and_the_rest_proceed(
    store: SqlStore,
) -> None:
    down = True
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        n = orjson.loads(request.content)["n"]
        if down and n == 1:
            return httpx.Response(503, text="maintenance")
        sent.append(n)
        return httpx.Response(204)

    clock = Clock()
    settings = fast_notify(retry_base_s=10.0, retry_max_s=10.0, give_up_s=30.0)
    worker = DeliveryWorker(
        store, settings, Tokens(), clock=clock, transport=httpx.MockTransport(handler)
    )
    enqueue(store, "http://a", 2)
    asyncio.run(worker.drain())
    clock.now += timedelta(seconds=31)
    asyncio.run(worker.drain())
    assert statuses(store) == [("e1", "failed"), ("e2", "delivered")]
    (dead,) = store.run(
        lambda s: outbox.list_notifications(s.conn, outbox.OutboxStatus.FAILED), write=False
    )
    assert dead.attempts == 2 and dead.last_error is not None and "maintenance" in dead.last_error
    assert sent == [2]


def test_a_request_the_receiver_calls_malformed_is_dead_lettered_at_once(store: SqlStore) -> None:
    clock = Clock()
    worker = DeliveryWorker(
        store,
        fast_notify(),
        Tokens(),
        clock=clock,
        transport=httpx.MockTransport(lambda r: httpx.Response(400)),
    )
    enqueue(store, "http://a", 1)
    asyncio.run(worker.drain())
    assert statuses(store) == [("e1", "failed")]


def test_housekeeping_forgets_delivered_rows_and_old_events_but_keeps_dead_letters(
    store: SqlStore,
) -> None:
    clock = Clock()
    replies = iter([httpx.Response(204), httpx.Response(400)])
    worker = DeliveryWorker(
        store,
        fast_notify(delivered_retention_s=60, event_retention_s=120),
        Tokens(),
        clock=clock,
        transport=httpx.MockTransport(lambda r: next(replies)),
    )
    enqueue(store, "http://a", 2)
    store.run(
        lambda s: outbox.append_events(
            s.conn, [outbox.NewEvent("alpha", "k", "{}")], to_us(clock.now)
        )
    )
    asyncio.run(worker.drain())
    clock.now += timedelta(seconds=61)
    assert worker.housekeeping() == (1, 0)
    clock.now += timedelta(seconds=60)
    assert worker.housekeeping() == (0, 1)
    assert statuses(store) == [("e2", "failed")]
    # The sequence continues after a purge: a resuming reader can tell something is gone.
    store.run(lambda s: outbox.append_events(s.conn, [outbox.NewEvent("alpha", "k", "{}")], 0))
    events = store.run(lambda s: outbox.events_after(s.conn, "alpha", 0), write=False)
    assert [e.seq for e in events] == [2]


def test_backoff_grows_with_jitter_is_capped_and_ends_at_the_deadline() -> None:
    b = Backoff(base_s=1.0, max_s=8.0, give_up_s=100.0, rng=random.Random(7))
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [b.delay_s(attempts) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered, not lock-step
    created = 0
    assert b.next_attempt_us(created, 99_000_000, 4) == 100_000_000
    assert b.next_attempt_us(created, 100_000_000, 5) is None


def test_a_failing_housekeeping_does_not_end_delivery(store: SqlStore) -> None:
    """A database outage during housekeeping postpones it; the worker goes on delivering
    (it used to end the worker's thread, and every notification with it)."""
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(orjson.loads(request.content)["n"])
        return httpx.Response(204)

    worker = DeliveryWorker(
        store,
        fast_notify(poll_interval_s=0.01),
        Tokens(),
        clock=Clock(),
        rng=random.Random(1),
        transport=httpx.MockTransport(handler),
    )
    calls: list[int] = []

    def broken_housekeeping() -> tuple[int, int]:
        calls.append(1)
        raise RuntimeError("database unavailable")

    worker.housekeeping = broken_housekeeping  # type: ignore[method-assign]

    async def scenario() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        for _ in range(200):
            if calls:
                break
            await asyncio.sleep(0.01)
        enqueue(store, "http://a", 2)
        worker.wake()
        for _ in range(300):
            if len(sent) == 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        worker.wake()
        await asyncio.wait_for(running, 10)

    asyncio.run(scenario())
    assert calls, "housekeeping ran (and failed)"
    assert sent == [1, 2]
