"""Messages between the replicas' live pictures, over PostgreSQL LISTEN/NOTIFY (issue 19).

Why PostgreSQL and not NATS: every replica already holds a connection to the primary,
and through the same multi-host URL (``target_session_attrs=read-write``) the listener
follows the primary across a Patroni failover with no service, port, credentials or
failure mode of its own to run. What it costs, and why that is acceptable here:

- a payload is at most 8000 bytes: a batch of reports is cut into messages of at most
  ``MAX_PAYLOAD`` bytes (about 40 reports each);
- NOTIFY is delivered on commit, to the sessions listening *then*, and never stored:
  a replica that is reconnecting (a failover, a restart) misses the reports sent
  meanwhile. Positions are sent every few seconds and superseded by the next, so a
  missed one costs a pass of staleness, not a wrong picture. Alerts, which must not be
  lost, never travel here: they go through the outbox (``service/live_picture.py``).

One channel per database and schema (``channel_for``), so replicas of different
deployments (or tests) on one server never hear each other. Messages are JSON; each
carries its sender's ``origin`` so a replica ignores its own.

The listener holds one connection of its own, taken from the store's pool and detached
from it (the same connect arguments, keepalives and per-connection settings), in
autocommit mode. If it breaks it reconnects with backoff, which is also how it finds
a new primary. Sending goes through ``store.run`` on a thread of its own, so a request
that submits reports never waits on the database for them, and what cannot be sent
while the database is down is dropped (the next report replaces it anyway).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import text

from deconflict.store.sql import SqlStore

log = logging.getLogger(__name__)

MAX_PAYLOAD = 7800
"""Bytes per NOTIFY payload, below PostgreSQL's 8000 with room to spare."""

POLL_S = 0.05
"""How often the listener looks up from waiting, to notice that it should stop.

Stopping waits for it, and every service on PostgreSQL stops its bus (each test's app,
each ``deconflict`` command that builds the services): at 1 s that wait was 0.8 s per
stop on average. Twenty wake-ups a second are one ``poll`` each, nothing to the server."""

Message = dict[str, Any]

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def channel_for(database: str, schema: str) -> str:
    """The channel of the replicas sharing this database and schema."""
    digest = hashlib.sha256(f"{database}\x00{schema}".encode()).hexdigest()[:20]
    return f"deconflict_picture_{digest}"


class PictureBus:
    """Send and receive picture messages between the replicas of one database."""

    def __init__(self, store: SqlStore, on_message: Callable[[Message], None]) -> None:
        self.store = store
        self.origin = uuid.uuid4().hex
        self._on_message = on_message
        self._outbox: queue.Queue[str | None] = queue.Queue(maxsize=10_000)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._channel: str | None = None
        self.listening = threading.Event()
        """Set while the listener is subscribed (tests wait for it)."""
        self.dropped = 0
        """Messages that could not be sent (the database was down, or the queue full)."""

    # ------------------------------------------------------------------ sending

    def send(self, message: Message) -> None:
        """Queue ``message`` (the origin is added); never blocks the caller."""
        payload = orjson.dumps({**message, "origin": self.origin}).decode()
        if len(payload.encode()) > MAX_PAYLOAD:
            log.warning("a picture message of %d bytes is too large to share", len(payload))
            self.dropped += 1
            return
        try:
            self._outbox.put_nowait(payload)
        except queue.Full:
            self.dropped += 1

    def _send_loop(self) -> None:
        while True:
            payload = self._outbox.get()
            if payload is None:
                return
            batch = [payload]
            while len(batch) < 50:
                try:
                    more = self._outbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._outbox.put(None)
                    break
                batch.append(more)
            try:
                self._notify(batch)
            except Exception as exc:
                self.dropped += len(batch)
                log.info("%d picture messages not shared: %s", len(batch), exc)

    def _notify(self, payloads: list[str]) -> None:
        rows = [{"channel": self.channel(), "payload": p} for p in payloads]

        def work(s: Any) -> None:
            s.conn.execute(_NOTIFY, rows)

        self.store.run(work)

    def channel(self) -> str:
        if self._channel is None:

            def read(s: Any) -> str:
                row = s.conn.execute(text("SELECT current_database(), current_schema()")).one()
                return channel_for(str(row[0]), str(row[1]))

            self._channel = self.store.run(read, write=False)
        return self._channel

    # ---------------------------------------------------------------- receiving

    def _listen_loop(self) -> None:
        backoff = 0.25
        while not self._stop.is_set():
            try:
                self._listen_once()
                backoff = 0.25
            except Exception as exc:
                self.listening.clear()
                log.info("picture listener reconnecting in %.2g s: %s", backoff, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _listen_once(self) -> None:
        channel = self.channel()
        raw = self.store.engine.raw_connection()
        raw.detach()  # ours alone, for as long as it lives
        conn: Any = raw.dbapi_connection
        try:
            conn.autocommit = True
            conn.execute(f'LISTEN "{channel}"')
            self.listening.set()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=POLL_S):
                    self._deliver(note.payload)
                    if self._stop.is_set():
                        break
        finally:
            self.listening.clear()
            raw.close()

    def _deliver(self, payload: str) -> None:
        try:
            message = orjson.loads(payload)
        except orjson.JSONDecodeError:
            log.warning("an unreadable picture message was ignored")
            return
        if not isinstance(message, dict) or message.get("origin") == self.origin:
            return
        try:
            self._on_message(message)
        except Exception:
            log.exception("a picture message could not be applied")

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for target, name in (
            (self._listen_loop, "deconflict-picture-listen"),
            (self._send_loop, "deconflict-picture-send"),
        ):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._outbox.put(None)
        for t in self._threads:
            t.join(timeout=max(1.0, POLL_S * 3))
        self._threads = []
