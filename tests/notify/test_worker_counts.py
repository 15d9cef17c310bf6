"""Issue 18: the delivery worker counts its attempts by outcome, for ``/metrics``."""

from __future__ import annotations

import asyncio
import random

import httpx

from deconflict.notify.worker import DeliveryWorker
from deconflict.store.sql import SqlStore
from tests.notify.helpers import fast_notify
from tests.notify.test_worker import Clock, Tokens, enqueue


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
