"""Issue 18: the delivery worker counts its attempts by outcome, for ``/metrics``."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import orjson
import pytest

from deconflict.notify.worker import DeliveryWorker
from deconflict.store.sql import SqlStore
from tests.notify.helpers import fast_notify
from tests.notify.test_worker import Clock, Tokens, enqueue, statuses


def test_attempts_are_counted_as_delivered_failed_or_dead_lettered(store: SqlStore) -> None:
    answers = {"a": 204, "b": 503, "c": 400}  # ok; retry later; permanent: dead letter

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(answers[str(request.url.host)])

    worker = DeliveryWorker(
        store,
        fast_notify(retry_base_s=60.0, retry_max_s=60.0),
        Tokens(),
        clock=Clock(),
        rng=random.Random(1),
        transport=httpx.MockTransport(handler),
    )
    enqueue(store, "http://a", 2)
    enqueue(store, "http://b", 1, start=10)
    enqueue(store, "http://c", 1, start=20)
    asyncio.run(worker.drain())
    counts = worker.counts
    assert (counts.delivered, counts.failed, counts.dead_lettered) == (2, 1, 1)


def test_the_results_of_many_channels_are_recorded_in_one_transaction(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker in its own process waits for SQLite's writer lock at every write: ten
    channels' batches cost one write to claim and one to record, not one each."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url.host))
        return httpx.Response(204)

    worker = DeliveryWorker(
        store, fast_notify(), Tokens(), clock=Clock(), transport=httpx.MockTransport(handler)
    )
    for i in range(10):
        enqueue(store, f"http://r{i}", 3, start=10 * i)
    writes = 0
    run = store.run

    def counted(work: Any, write: bool = True, deadline: float | None = None) -> Any:
        nonlocal writes
        writes += write
        return run(work, write, deadline)

    monkeypatch.setattr(store, "run", counted)
    asyncio.run(worker.drain())
    assert len(sent) == 30 and worker.counts.delivered == 30
    assert all(s == "delivered" for _, s in statuses(store))
    assert writes <= 3


def test_results_a_failed_recording_kept_are_recorded_next_round_and_not_resent(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refusing the round that records what was sent: the results wait in
    memory for the next round; nothing is sent twice and everything ends delivered."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(orjson.loads(request.content)["n"])
        return httpx.Response(204)

    worker = DeliveryWorker(
        store, fast_notify(), Tokens(), clock=Clock(), transport=httpx.MockTransport(handler)
    )
    enqueue(store, "http://a", 3)
    writes = 0
    run = store.run

    def flaky(work: Any, write: bool = True, deadline: float | None = None) -> Any:
        nonlocal writes
        writes += write
        if write and writes == 2:  # the round after the first claim: it records
            raise RuntimeError("database gone for a moment")
        return run(work, write, deadline)

    monkeypatch.setattr(store, "run", flaky)
    asyncio.run(worker.drain())
    assert sent == [1, 2, 3]
    assert worker.counts.delivered == 3
    assert statuses(store) == [("e1", "delivered"), ("e2", "delivered"), ("e3", "delivered")]
