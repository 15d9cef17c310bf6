"""The in-process chainer: links pending audit entries soon after they commit.

A daemon thread, woken by every commit that appended entries (``store.audit.on_appended``)
and otherwise every ``poll_s``: a commit on another replica is noticed by the poll.
Chainings are at least ``spacing_s`` apart, so entries are linked within about
``spacing_s`` of their commit.
Several chainers (threads, replicas, ``deconflict audit chain``) may run at once; the
store makes them take turns on the chain head.

With the service's audit key, the chainer also links only entries the service sealed,
and every ``checkpoint_s`` (when the head moved) signs a checkpoint for each party
and queues it on the party's event stream (``audit.checkpoint``). Checkpoints go by
time, not every N entries: how often they came would tell every party how busy the
others were.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from deconflict.audit.entry import ChainHead
from deconflict.audit.keys import AuditKey
from deconflict.store.audit import chain_pending, on_appended, publish_checkpoints
from deconflict.store.sql import SqlStore

log = logging.getLogger(__name__)

POLL_S = 1.0
SPACING_S = 0.1
"""Least time between two chainings: under load, one chaining links the entries of many
commits instead of taking a transaction (on SQLite, the single writer) per commit.
Measured with bench/audit.py: CPU per native creation +31 % with a chaining after every
commit, +18 to 21 % with this spacing (appending alone: +2 to 8 %)."""


CHECKPOINT_S = 60.0
"""Least time between two rounds of checkpoints: a party holds a signed head at most
about a minute old, and a quiet service publishes nothing."""

RETRY_S = 0.5
"""After a failed chaining (database briefly away, lock timeout under load): the next try."""


class Chainer:
    def __init__(
        self,
        store: SqlStore,
        poll_s: float = POLL_S,
        spacing_s: float = SPACING_S,
        key: AuditKey | None = None,
        checkpoint_s: float = CHECKPOINT_S,
    ) -> None:
        self.store = store
        self.poll_s = poll_s
        self.spacing_s = spacing_s
        self.key = key
        self.checkpoint_s = checkpoint_s
        self._published: ChainHead | None = None
        self._next_checkpoint = 0.0
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
        self._next_checkpoint = time.monotonic() + self.checkpoint_s
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
            if self.key is not None and (
                self._stop.is_set() or time.monotonic() >= self._next_checkpoint
            ):
                self.checkpoint()
        except Exception:  # the database may be briefly away
            log.exception("audit: chaining failed")
            return False
        return True

    def checkpoint(self) -> None:
        """Publish checkpoints now (if the head moved since the last ones)."""
        if self.key is None:
            return
        self._published = publish_checkpoints(self.store, self.key, self._published)
        self._next_checkpoint = time.monotonic() + self.checkpoint_s
