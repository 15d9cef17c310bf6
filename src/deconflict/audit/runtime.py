"""The in-process chainer: links pending audit entries soon after they commit.

A daemon thread, woken by every commit that appended entries (``store.audit.on_appended``)
and otherwise every ``poll_s``: a commit on another replica is noticed by the poll.
Several chainers (threads, replicas, ``deconflict audit chain``) may run at once; the
store makes them take turns on the chain head.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from deconflict.store.audit import chain_pending, on_appended
from deconflict.store.sql import SqlStore

log = logging.getLogger(__name__)

POLL_S = 1.0


class Chainer:
    def __init__(self, store: SqlStore, poll_s: float = POLL_S) -> None:
        self.store = store
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._unsubscribe = on_appended(self.store.engine, self.wake)
        self._thread = threading.Thread(target=self._main, name="deconflict-audit", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after chaining what is pending now (an orderly shutdown leaves none)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout)

    def _main(self) -> None:
        while True:
            self._wake.wait(self.poll_s)
            self._wake.clear()
            try:
                chain_pending(self.store)
            except Exception:  # the database may be briefly away: try at the next poll
                log.exception("audit: chaining failed")
            if self._stop.is_set():
                return
