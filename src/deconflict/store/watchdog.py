"""A client-side deadline for database transactions that the server cannot enforce.

``statement_timeout`` and ``lock_timeout`` run inside the database server: they end a
query that waits on a lock, but not a server that does not answer at all (its process
paused, a disk that hangs, a half-open network path that the kernel still ACKs). A
blocked ``recv`` on such a connection waits forever, and so does the request behind
it. The watchdog is the last resort: one thread holds the deadlines of the running
transactions and, when one passes, shuts the transaction's socket down. The blocked
driver call then fails at once with a disconnect, the pool discards the connection,
and the request answers 503 instead of hanging. Nothing is sent to the server, so it
works whatever state the server is in; and since the socket is only shut down, not
closed, the driver still owns (and later closes) the file descriptor.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Watch:
    """One transaction's deadline; ``fired`` tells its owner why the driver failed."""

    __slots__ = ("deadline", "done", "fd", "fired")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fd: int | None = None
        self.done = False
        self.fired = False


class Watchdog:
    """Shuts down the socket of every watched transaction still running past its deadline.

    Arming, disarming and firing happen under one lock, so a socket is never shut down
    after its transaction ended (when the connection may already serve another one).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, deadline: float) -> Iterator[Watch]:
        """Watch the block; ``arm`` the socket once the connection is known."""
        w = Watch(deadline)
        with self._cond:
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline, next(self._order), w))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="deconflict-db-watchdog", daemon=True
                )
                self._thread.start()
            elif earliest is None or deadline < earliest:
                self._cond.notify()
        try:
            yield w
        finally:
            with self._cond:
                w.done = True

    def arm(self, w: Watch, fd: int | None) -> None:
        """Attach the socket to watch; shut it down now if the deadline already passed."""
        with self._cond:
            w.fd = fd
            if not w.done and time.monotonic() >= w.deadline:
                self._fire(w)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _, _, w = heapq.heappop(self._heap)
                self._fire(w)

    @staticmethod
    def _fire(w: Watch) -> None:
        w.fired = True
        if w.fd is None:
            return  # still connecting: connect_timeout and pool_timeout bound that
        with contextlib.suppress(OSError):
            # A duplicate descriptor on the same socket: shutdown acts on the socket,
            # and closing the duplicate leaves the driver's descriptor alone.
            s = socket.socket(fileno=os.dup(w.fd))
            try:
                s.shutdown(socket.SHUT_RDWR)
            finally:
                s.close()


WATCHDOG = Watchdog()
"""One thread for the whole process, shared by every store."""
