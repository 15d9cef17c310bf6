"""The delivery worker: drains the outbox to USSs, in order, retrying, dead-lettering.

One worker owns a channel (a receiver's base URL) at a time through a lease in the
database, so several workers (replicas, or ``deconflict worker`` processes) can share
one outbox. Within a channel rows go out one after another in ``id`` order; at the
first failure the channel stops until that row's retry time, so order per
subscription holds even across retries. Different channels proceed concurrently, so
one receiver that is down delays no one else.

Delivery is at least once: a worker that dies after a receiver accepted a row but
before recording it sends that row again. F3548 receivers can tell by the
subscription's ``notification_index``.

The worker coordinates on its own asyncio loop (a thread inside ``serve``, or the main
thread of ``deconflict worker``); each channel's sending runs in a pool thread with a
synchronous HTTP client (``notify.sender``: the standard library's, on kept-alive
connections, which costs a quarter of httpx's CPU per POST), which measured several
times faster here than an asyncio client under concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from deconflict.auth.scopes import Scope
from deconflict.notify.backoff import Backoff
from deconflict.notify.recorder import KIND_CONSTRAINT
from deconflict.notify.sender import Sender, SendError, sender_for
from deconflict.notify.tokens import TokenSource
from deconflict.settings import NotifySettings
from deconflict.store import outbox
from deconflict.store.codec import to_us
from deconflict.store.sql import SqlSession, SqlStore

log = logging.getLogger(__name__)

PERMANENT_STATUSES = frozenset({400, 410, 413, 422})
"""Answers that say the request itself is wrong: retrying the same body cannot help."""

HOUSEKEEPING_S = 60.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    error: str = ""
    permanent: bool = False


@dataclass(frozen=True, slots=True)
class _Result:
    """What a sender did with a channel's claimed rows, for the loop to record."""

    delivered: list[outbox.OutboxRow]
    failed: outbox.OutboxRow | None = None
    outcome: Outcome | None = None
    release: list[int] = field(default_factory=list)
    """Leased rows not attempted (after a failure, or while stopping)."""


def scope_for(kind: str) -> str:
    """The scope the receiving endpoint requires (F3548: constraints need CM)."""
    if kind == KIND_CONSTRAINT:
        return Scope.CONSTRAINT_MANAGEMENT.value
    return Scope.STRATEGIC_COORDINATION.value


class DeliveryCounts:
    """Delivery attempts since start, by outcome: plain figures the service's metrics
    read (the outbox itself keeps only each row's latest state)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0
        """Failed attempts that will be retried."""
        self.dead_lettered = 0
        """Failed attempts after which the notification was given up."""

    def add(self, delivered: int = 0, failed: int = 0, dead_lettered: int = 0) -> None:
        with self._lock:
            self.delivered += delivered
            self.failed += failed
            self.dead_lettered += dead_lettered


class DeliveryWorker:
    def __init__(
        self,
        store: SqlStore,
        settings: NotifySettings,
        tokens: TokenSource,
        *,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
        max_parallel: int = 32,
        owner: str | None = None,
        on_delivered: Callable[[outbox.OutboxRow, datetime], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.tokens = tokens
        self.clock = clock
        self.backoff = Backoff(
            settings.retry_base_s, settings.retry_max_s, settings.give_up_s, rng or random.Random()
        )
        self.owner = owner or f"worker-{uuid.uuid4().hex[:12]}"
        self.on_delivered = on_delivered
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._inflight: dict[str, asyncio.Future[None]] = {}
        self._max_parallel = max_parallel
        self._stopping = threading.Event()
        self._results: list[_Result] = []
        self._results_lock = threading.Lock()
        self.counts = DeliveryCounts()

    # ------------------------------------------------------------------ control

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll; safe from any thread."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; channels in flight finish their current POST and
        give back the rest of their rows."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping.clear()
        last_housekeeping = float("-inf")
        with contextlib.closing(self._sender()) as client, self._pool() as pool:
            try:
                while not stop.is_set():
                    self._wake.clear()
                    await self._dispatch(client, pool)
                    now = self._loop.time()
                    if now - last_housekeeping >= HOUSEKEEPING_S:
                        last_housekeeping = now
                        await self._housekeeping_or_log()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.settings.poll_interval_s):
                            await self._wake.wait()
            finally:
                self._stopping.set()
                if self._inflight:
                    await asyncio.gather(*self._inflight.values(), return_exceptions=True)
                await self._settle_left()
                self._loop = None

    async def drain(self, max_rounds: int = 1000) -> None:
        """Deliver everything due now and return (tests, the CLI's ``--once``)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping.clear()
        with contextlib.closing(self._sender()) as client, self._pool() as pool:
            for _ in range(max_rounds):
                started = await self._dispatch(client, pool)
                if self._inflight:
                    await asyncio.gather(*self._inflight.values(), return_exceptions=True)
                if not started:
                    break
            await self._settle_left()

    def _sender(self) -> Sender:
        """Synchronous POSTs in a thread pool: measured several times faster here than
        httpx's asyncio client under concurrency (bench/notify.py). A transport given
        (tests' scripted receivers) or a proxy in the environment goes through httpx."""
        return sender_for(self.settings.request_timeout_s, self._transport)

    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self._max_parallel, thread_name_prefix="deconflict-deliver")

    # ----------------------------------------------------------------- delivery

    async def _dispatch(self, client: Sender, pool: ThreadPoolExecutor) -> int:
        """Record what the senders finished and claim idle due channels (as many as
        there are free senders), in one write transaction; start the claimed ones."""
        # The finished results first, then the busy channels: a channel that is not
        # busy any more handed its result in before (its done callback ran on this
        # loop), so it is recorded in this transaction before it can be claimed again.
        results = self._take_results()
        busy = set(self._inflight)
        free = self._max_parallel - len(busy)
        if free <= 0 and not results:
            return 0
        try:
            claimed = await asyncio.to_thread(self._settle_and_claim, results, busy, free)
        except Exception:  # the database may be briefly unavailable: try next round
            log.exception("notify: recording or claiming in the outbox failed")
            with self._results_lock:
                self._results[:0] = results
            return 0
        assert self._loop is not None
        for channel, rows in claimed.items():
            future = self._loop.run_in_executor(pool, self._drain_channel, client, channel, rows)
            self._inflight[channel] = future
            future.add_done_callback(functools.partial(self._done, channel))
        return len(claimed)

    def _done(self, channel: str, _future: asyncio.Future[None]) -> None:
        self._inflight.pop(channel, None)
        if self._wake is not None:
            self._wake.set()

    def _take_results(self) -> list[_Result]:
        with self._results_lock:
            results, self._results = self._results, []
        return results

    async def _settle_left(self) -> None:
        """Record the results of the last senders (the worker is stopping)."""
        results = self._take_results()
        if results:
            try:
                await asyncio.to_thread(self._settle_and_claim, results, set(), 0)
            except Exception:  # their leases expire: the rows are sent again
                log.exception("notify: recording the last deliveries failed")

    def _settle_and_claim(
        self, results: list[_Result], busy: set[str], channels: int
    ) -> dict[str, list[outbox.OutboxRow]]:
        """One write transaction a round, however many channels finished: on SQLite a
        worker in its own process waits for the writer lock at every one (the busy
        handler sleeps), and a transaction per channel's batch made delivery fall
        behind the changes (``bench/notify.py --worker-process``)."""
        now = self.clock()
        now_us = to_us(now)
        lease_us = int(self.settings.lease_s * 1e6)
        if not results and (
            channels <= 0
            or not self.store.run(lambda s: outbox.has_due(s.conn, now_us), write=False)
        ):
            return {}

        def work(s: SqlSession) -> tuple[list[bool | None], dict[str, list[outbox.OutboxRow]]]:
            dead = [self._settle(s, r, now_us) for r in results]
            if channels <= 0:
                return dead, {}
            claimed = outbox.claim(
                s.conn,
                self.owner,
                now_us,
                lease_us,
                self.settings.batch_size,
                exclude=busy,
                max_channels=channels,
            )
            return dead, claimed

        dead, claimed = self.store.run(work)
        for result, died in zip(results, dead, strict=True):
            self.counts.add(
                delivered=len(result.delivered),
                failed=int(died is False),
                dead_lettered=int(died is True),
            )
            if self.on_delivered is not None:
                for r in result.delivered:
                    self.on_delivered(r, now)
        return claimed

    def _settle(self, s: SqlSession, result: _Result, now_us: int) -> bool | None:
        """Write one channel's result; whether its failed attempt (if any) dead-lettered
        its notification."""
        outbox.mark_delivered(s.conn, [r.id for r in result.delivered], self.owner, now_us)
        dead = None
        failed, outcome = result.failed, result.outcome
        if failed is not None and outcome is not None:
            next_us = (
                None
                if outcome.permanent
                else self.backoff.next_attempt_us(failed.created_us, now_us, failed.attempts + 1)
            )
            outbox.mark_failed(s.conn, failed.id, now_us, outcome.error, next_attempt_us=next_us)
            dead = next_us is None
        outbox.release(s.conn, result.release, self.owner)
        return dead

    def _drain_channel(self, client: Sender, channel: str, rows: list[outbox.OutboxRow]) -> None:
        """Send a channel's rows in order (in a sender thread); stop at the first failure.
        The result is recorded by the loop's next round, with the other channels'."""
        delivered: list[outbox.OutboxRow] = []
        result = _Result(delivered)
        try:
            for i, row in enumerate(rows):
                if self._stopping.is_set():
                    result = _Result(delivered, release=[r.id for r in rows[i:]])
                    return
                outcome = self._post(client, row)
                if outcome.ok:
                    delivered.append(row)
                    continue
                result = _Result(delivered, row, outcome, [r.id for r in rows[i + 1 :]])
                return
        except Exception:
            log.exception("notify: channel %s", channel)
            done = {r.id for r in delivered}
            result = _Result(delivered, release=[r.id for r in rows if r.id not in done])
        finally:
            with self._results_lock:
                self._results.append(result)
            self.wake()

    def _post(self, client: Sender, row: outbox.OutboxRow) -> Outcome:
        audience = urlsplit(row.url).hostname or "localhost"
        try:
            token = self.tokens.token(audience, scope_for(row.kind))
            answer = client.post(
                row.url,
                row.body.encode(),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        except SendError as exc:
            return Outcome(False, str(exc)[:500])
        if 200 <= answer.status < 300:
            return Outcome(True)
        return Outcome(
            False,
            f"HTTP {answer.status}: {answer.text}",
            permanent=answer.status in PERMANENT_STATUSES,
        )

    # -------------------------------------------------------------- housekeeping

    async def _housekeeping_or_log(self) -> None:
        """Housekeeping that a database outage postpones instead of ending delivery: an
        exception here used to end the worker's thread, and with it every notification
        until the process restarted."""
        try:
            await asyncio.to_thread(self.housekeeping)
        except Exception:
            log.exception("notify: housekeeping failed; retried at the next round")

    def housekeeping(self) -> tuple[int, int]:
        """Drop delivered rows and party events older than their retention times."""
        now_us = to_us(self.clock())
        delivered_before = now_us - int(self.settings.delivered_retention_s * 1e6)
        events_before = now_us - int(self.settings.event_retention_s * 1e6)
        return self.store.run(lambda s: outbox.purge(s.conn, delivered_before, events_before))


class WorkerThread:
    """The worker on a private event loop in a daemon thread (``serve``'s lifespan)."""

    def __init__(self, worker: DeliveryWorker) -> None:
        self.worker = worker
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="deconflict-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(timeout=10)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self.worker.run(self._stop)

        asyncio.run(main())

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self.worker.wake()
        self._thread.join(timeout)
