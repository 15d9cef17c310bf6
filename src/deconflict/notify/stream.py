"""Reading a party's event log as a stream: the shared core of SSE and WebSocket.

Readers poll the log (so events written by another replica or by ``deconflict worker``
arrive too) and are woken early by ``PartyBus`` when this process writes an event for
their party. The wake-up can come before the writing transaction commits; a reader
that finds nothing simply waits for the next wake-up or poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from deconflict.model.times import rfc3339
from deconflict.store import outbox
from deconflict.store.codec import from_us
from deconflict.store.sql import SqlStore


class PartyBus:
    """In-process "party X has news" signals, from writer threads to stream loops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def publish(self, parties: Iterable[str]) -> None:
        with self._lock:
            targets = [w for p in parties for w in self._waiters.get(p, ())]
        for loop, event in targets:
            with contextlib.suppress(RuntimeError):  # the loop may have just closed
                loop.call_soon_threadsafe(event.set)

    @contextlib.contextmanager
    def subscribe(self, party: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``party`` may have news; call from the reader's loop."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(party, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                waiting = self._waiters.get(party)
                if waiting is not None:
                    waiting.discard(entry)
                    if not waiting:
                        del self._waiters[party]


@dataclass(frozen=True, slots=True)
class StreamItem:
    """An event as sent; ``id`` None marks a notice about the stream itself (a gap)."""

    id: int | None
    kind: str
    payload: dict[str, Any]

    def json(self) -> str:
        return orjson.dumps(self.payload).decode()


def event_item(e: outbox.EventRow) -> StreamItem:
    return StreamItem(
        e.seq,
        e.kind,
        {
            "id": e.seq,
            "kind": e.kind,
            "time": rfc3339(from_us(e.created_us)),
            "data": orjson.loads(e.body),
        },
    )


def read_batch(store: SqlStore, party: str, after: int, limit: int) -> list[outbox.EventRow]:
    return store.run(lambda s: outbox.events_after(s.conn, party, after, limit), write=False)


async def party_stream(
    store: SqlStore,
    bus: PartyBus | None,
    party: str,
    after: int,
    *,
    follow: bool = True,
    poll_s: float = 0.25,
    batch: int = 500,
) -> AsyncGenerator[StreamItem]:
    """Every event of ``party`` after ``after``, in order; forever if ``follow``.

    If events the reader asked for were already purged (older than the retention
    time), a ``stream.gap`` item says so instead of skipping them silently.
    """
    cursor = after
    with bus.subscribe(party) if bus is not None else contextlib.nullcontext() as wake:
        while True:
            if wake is not None:
                wake.clear()
            rows = await asyncio.to_thread(read_batch, store, party, cursor, batch)
            if rows and rows[0].seq > cursor + 1 and cursor >= 0:
                yield StreamItem(
                    None,
                    "stream.gap",
                    {"kind": "stream.gap", "first_missing": cursor + 1, "next": rows[0].seq},
                )
            for row in rows:
                cursor = row.seq
                yield event_item(row)
            if len(rows) == batch:
                continue
            if not follow:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_s):
                    if wake is not None:
                        await wake.wait()
                    else:
                        await asyncio.sleep(poll_s)
