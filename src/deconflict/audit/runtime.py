"""The in-process chainer: links pending audit entries soon after they commit.

A daemon thread, woken by every commit that appended entries (``store.audit.on_appended``)
and otherwise every ``poll_s``: a commit on another replica is noticed by the poll.
Chainings are at least ``spacing_s`` apart, so entries are linked within about
``spacing_s`` of their commit.
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
SPACING_S = 0.1
"""Least time between two chainings: under load, one chaining links the entries of many
commits instead of taking a transaction (on SQLite, the single writer) per commit.
Measured with bench/audit.py: CPU per native creation +31 % with a chaining after every
commit, +18 to 21 % with this spacing (appending alone: +2 to 8 %)."""


RETRY_S = 0.5
"""After a failed chaining (database briefly away, lock timeout under load): the next try."""


class Chainer:
    def __init__(
        self, store: SqlStore, poll_s: float = POLL_S, spacing_s: float = SPACING_S
    ) -> None:
        self.store = store
        self.poll_s = poll_s
        self.spacing_s = spacing_s
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
            if not self._chain() and not self._stop.wait(RETRY_S):
                self._wake.set()  # pending entries remain: try again soon, not at the poll
                continue
            if self._stop.is_set():
                return
            if self._stop.wait(self.spacing_s):  # stopped while spacing: link what came
                self._chain()
                return

    def _chain(self) -> bool:
        try:
            chain_pending(self.store)
        except Exception:  # the database may be briefly away
            log.exception("audit: chaining failed")
            return False
        return True
