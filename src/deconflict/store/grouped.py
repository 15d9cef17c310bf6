"""Group commit: concurrent write transactions of one process share a transaction.

A creation's transaction costs far more than its statements: a pooled connection,
its settings, ``BEGIN`` and ``COMMIT`` (a WAL flush), and after the commit the
sequencing of the party events it queued, each a round trip and a share of the
database's CPU. Under load, writers wait for each other anyway (SQLite has one
writer; PostgreSQL's commits queue on the WAL), so while one transaction runs the
next ones gather in a queue, and a writer thread runs all of them in one
transaction: one after the other, each seeing what the previous ones wrote, exactly
as if they had committed in that order. Nobody waits for a batch to fill: a lone
request is run at once, alone.

The works must be what ``SqlStore.run`` already requires of them: functions of the
session that may run more than once (the store retries them). Should any of a
batch's works raise (a refusal, a serialization failure, a database error), the
whole batch is rolled back and run again in two halves, and so on down to a work
alone in a transaction of its own, with the store's retries: every caller gets the
answer its own work gives, no work's failure undoes another's write or lets its own
half-write stand, and the works beside a failing one still share transactions
(halving beat running each alone by 15-50 % with 2 and 4 replicas, whose batches
make each other fail).

One writer thread per process: two concurrent batches read and write many nearby
index pages, and PostgreSQL's serializable isolation, which tracks reads by page,
then aborts one of them nearly every time (measured: most batches failed with two
writers, none with one). Replicas each have their own writer, so their batches do
meet; on a young database they often abort each other and are run again in halves
(``docs/deployment.md`` has the figures).

A work still queued when its caller's deadline (the store's ``timeout_s`` from the
call) has passed is answered ``StoreUnavailable`` (a 503) without being run: its
caller would not wait for the answer anyway, and a writer working through stale
works behind a database that stopped answering would only delay the fresh ones.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from deconflict.errors import StoreUnavailable

T = TypeVar("T")
S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class Transactions(Protocol[S_co]):
    """What group commit needs of a store whose sessions are ``S_co``: its deadline, a
    plain transaction for a batch, and its retrying ``run`` for a work alone. Named
    here, so that this module does not import the store that uses it."""

    timeout_s: float

    def session(
        self, write: bool = False, deadline: float | None = None
    ) -> AbstractContextManager[S_co]: ...

    def run(
        self, work: Callable[[S_co], T], write: bool = True, deadline: float | None = None
    ) -> T: ...


MAX_BATCH = 64
"""Works per shared transaction, so that a batch holds its snapshot (and, on
PostgreSQL, its predicate locks) for a bounded time. With 10-16 clients the batches
measured stayed under 16 works, so the bound itself was not measured."""


@dataclass
class _Pending(Generic[T]):
    work: Callable[[Any], T]
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None

    def settle(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()


_STOP = object()


class GroupCommit(Generic[S]):
    """A writer thread that runs the queued works of this process in shared transactions."""

    def __init__(self, store: Transactions[S], max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # What the grouping achieved, for tests and benches: transactions that carried
        # more than one work, the works they carried, and batches run again in halves.
        self.batches = 0
        self.batched = 0
        self.fallbacks = 0

    def run(self, work: Callable[[S], T]) -> T:
        if threading.current_thread() is self._thread:
            # The writer would wait for itself for ever.
            raise RuntimeError("run_grouped called from inside a grouped work")
        pending: _Pending[T] = _Pending(work, time.monotonic() + self.store.timeout_s)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._writer, name="deconflict-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        result: T = pending.result
        return result

    def queued(self) -> int:
        """Works waiting for the writer thread (not counting the batch it runs)."""
        return self._queue.qsize()

    def close(self) -> None:
        """Run what is queued, then stop the thread (it starts again on the next run)."""
        with self._lock:
            if self._thread is None:
                return
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def _writer(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Pending[Any]] = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                self._run(batch)
            finally:
                # Whatever went wrong, no caller is left waiting for ever.
                for p in batch:
                    if not p.done.is_set():
                        p.settle(error=RuntimeError("the writer thread failed"))
            if stop:
                return

    def _run(self, batch: list[_Pending[Any]]) -> None:
        now = time.monotonic()
        for p in batch:
            if p.deadline <= now:
                p.settle(error=self._late())
        batch = [p for p in batch if not p.done.is_set()]
        if not batch:
            return
        if len(batch) > 1:
            deadline = min(p.deadline for p in batch)
            try:
                with self.store.session(write=True, deadline=deadline) as session:
                    results = [p.work(session) for p in batch]
            except BaseException:  # each half is run again, below
                self.fallbacks += 1
            else:
                self.batches += 1
                self.batched += len(batch)
                for p, r in zip(batch, results, strict=True):
                    p.settle(r)
                return
            half = len(batch) // 2
            self._run(batch[:half])
            self._run(batch[half:])
            return
        (p,) = batch
        try:
            p.settle(self.store.run(p.work, deadline=p.deadline))
        except BaseException as exc:  # handed to the caller, raised in its thread
            p.settle(error=exc)

    def _late(self) -> BaseException:
        return StoreUnavailable(
            f"the write waited {self.store.timeout_s:g} s for the database and was not run"
        )
