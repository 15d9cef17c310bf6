"""The store on SQLAlchemy Core: one implementation for every SQL engine.

Engine differences stay in ``open_store`` and the session: SQLite gets WAL, a busy
timeout and ``BEGIN IMMEDIATE`` for write sessions (so two writers serialise at the
start instead of failing at commit); PostgreSQL (and CockroachDB) gets SERIALIZABLE
isolation, a bounded retry of serialization failures, and a deadline on every
transaction that holds even when the server stops answering (``watchdog.py``).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SaTimeoutError
from sqlalchemy.pool import QueuePool

from deconflict.core.ports import OperationQuery, StoredOperation
from deconflict.errors import StoreUnavailable
from deconflict.geo.covering import cells_of
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.store.bulk import insert_rows
from deconflict.store.cellindex import (
    cell_search,
    chunks,
    ids_in_cells,
    rows_by_id,
    volume_bounds,
)
from deconflict.store.codec import from_us, to_us, volume_from_row, volume_row
from deconflict.store.grouped import GroupCommit
from deconflict.store.hooks import take_after_commit
from deconflict.store.migrations_runner import upgrade
from deconflict.store.schema import CELL_OF_VOLUME, operations, volume_cells, volumes
from deconflict.store.schema_dss import native_intents
from deconflict.store.schema_writers import WRITER_LOCK
from deconflict.store.urls import checked_url, host_count
from deconflict.store.watchdog import WATCHDOG, Watch

T = TypeVar("T")

_log = logging.getLogger(__name__)


# Statements built once: constructing Core expressions per call costs more than
# running them on SQLite. Parameters are bound at execution.
_GET = select(operations).where(operations.c.id == bindparam("id"))
_VOLUMES_OF = (
    select(volumes)
    .where(volumes.c.operation_id.in_(bindparam("ids", expanding=True)))
    .order_by(volumes.c.operation_id, volumes.c.idx)
)
_CANDIDATES = cell_search(
    volume_cells,
    "operation_id",
    [
        (volumes, CELL_OF_VOLUME),
        (operations, operations.c.id == volumes.c.operation_id),
    ],
    times=[(volumes.c.time_start_us, volumes.c.time_end_us)],
    altitudes=[(volumes.c.altitude_lower_m, volumes.c.altitude_upper_m)],
).where(operations.c.state != OperationState.ENDED.value)
_KEY = select(bindparam("key", type_=operations.c.id.type).label("key")).subquery("asked")
_GET_OR_NATIVE = select(
    *operations.c, native_intents.c.operation_id.label("native_of")
).select_from(
    _KEY.outerjoin(operations, operations.c.id == _KEY.c.key).outerjoin(
        native_intents, native_intents.c.intent_id == _KEY.c.key
    )
)
_VERSION = select(operations.c.version, operations.c.created_us).where(
    operations.c.id == bindparam("id")
)
_COLUMNS = [c.name for c in operations.columns if c.name not in ("id", "created_us")]
_UPDATE = (
    update(operations)
    .where(operations.c.id == bindparam("key"))
    .values({name: bindparam(name) for name in _COLUMNS})
)
_DELETE_CELLS = delete(volume_cells).where(volume_cells.c.operation_id == bindparam("id"))
_DELETE_VOLUMES = delete(volumes).where(volumes.c.operation_id == bindparam("id"))
_DELETE_OPERATION = delete(operations).where(operations.c.id == bindparam("id"))


class SqlSession:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # (version, created) of operations read in this transaction, None if absent:
        # a write after a read then needs no second look-up.
        self._known: dict[str, tuple[int, int] | None] = {}
        self.shared: dict[str, Any] = {}
        """Reads that the works of this transaction share (group commit runs several
        in one, ``grouped.py``), by the name of what they hold; whoever writes what a
        name caches updates it in the same transaction."""

    def get_or_native(self, key: str) -> tuple[StoredOperation | None, str | None]:
        """The operation whose id is ``key``, and the native operation's id USSs know
        by ``key`` (``native_intents``): one round trip for what an F3548 write asks
        first, whether the id is taken."""
        row = self.conn.execute(_GET_OR_NATIVE, {"key": key}).first()
        assert row is not None  # the key's own row is always there
        if row.id is None:
            self._known[key] = None
            return None, row.native_of
        return self._load([row])[0], row.native_of

    def get(self, operation_id: str) -> StoredOperation | None:
        row = self.conn.execute(_GET, {"id": operation_id}).first()
        if row is None:
            self._known[operation_id] = None
            return None
        return self._load([row])[0]

    def get_many(self, operation_ids: Collection[str]) -> list[StoredOperation]:
        """The operations with these ids that exist, in id order: two round trips
        however many (their rows, then their volumes), where ``get`` takes two each."""
        rows = sorted(rows_by_id(self.conn, operations, operation_ids), key=lambda r: r.id)
        for i in set(operation_ids) - {r.id for r in rows}:
            self._known[i] = None
        return self._load(rows)

    def exists(self, operation_id: str) -> bool:
        """Whether an operation (native or F3548) has this id; free after a ``get``."""
        if operation_id in self._known:
            return self._known[operation_id] is not None
        row = self.conn.execute(_VERSION, {"id": operation_id}).first()
        self._known[operation_id] = (row.version, row.created_us) if row is not None else None
        return row is not None

    def candidates(self, volume: Volume4D, exclude: str | None = None) -> list[StoredOperation]:
        ids = ids_in_cells(
            self.conn, _CANDIDATES, cells_of(volume.footprint), volume_bounds(volume)
        )
        ids.discard(exclude or "")
        if not ids:
            return []
        return self._load(rows_by_id(self.conn, operations, ids))

    def put(
        self,
        operation: Operation,
        *,
        native: bool = True,
        also: Sequence[tuple[Table, Sequence[Mapping[str, Any]]]] = (),
    ) -> StoredOperation:
        """Create or replace ``operation``. A new ``native`` one (not an F3548 intent,
        whose id is already its F3548 id) also gets the random F3548 id USSs will know
        it by (``native_intents``). ``also``: more rows to insert with it (an F3548
        intent's own row), in the same statement as its volumes and cells on PostgreSQL
        (``bulk.py``)."""
        now = datetime.now(UTC)
        if operation.id in self._known:
            old = self._known[operation.id]
        else:
            row = self.conn.execute(_VERSION, {"id": operation.id}).first()
            old = (row.version, row.created_us) if row is not None else None
        extent_t = operation.time_extent
        extent_a = operation.altitude_extent
        values: dict[str, Any] = {
            "party": operation.party,
            "priority": operation.priority,
            "state": operation.state.value,
            "time_start_us": to_us(extent_t.start),
            "time_end_us": to_us(extent_t.end),
            "altitude_lower_m": extent_a.lower_m,
            "altitude_upper_m": extent_a.upper_m,
            "details": orjson.dumps(operation.details).decode(),
            "updated_us": to_us(now),
        }
        writes: list[tuple[Table, Sequence[Mapping[str, Any]]]] = []
        if old is None:
            version, created_us = 1, to_us(now)
            created = {"id": operation.id, "version": version, "created_us": created_us}
            writes.append((operations, [{**created, **values}]))
            if native:
                intent = {"operation_id": operation.id, "intent_id": str(uuid.uuid4())}
                writes.append((native_intents, [intent]))
        else:
            version, created_us = old[0] + 1, old[1]
            self.conn.execute(_UPDATE, {"key": operation.id, "version": version, **values})
            self.conn.execute(_DELETE_CELLS, {"id": operation.id})
            self.conn.execute(_DELETE_VOLUMES, {"id": operation.id})
        writes.append(
            (volumes, [volume_row(operation.id, i, v) for i, v in enumerate(operation.volumes)])
        )
        cell_rows = [
            {"cell": c, "operation_id": operation.id, "idx": i}
            for i, v in enumerate(operation.volumes)
            for c in cells_of(v.footprint)
        ]
        writes.append((volume_cells, cell_rows))
        insert_rows(self.conn, [*writes, *also])
        self._known[operation.id] = (version, created_us)
        return StoredOperation(operation, version, from_us(created_us), now)

    def delete(self, operation_id: str) -> bool:
        self.conn.execute(_DELETE_CELLS, {"id": operation_id})
        self.conn.execute(_DELETE_VOLUMES, {"id": operation_id})
        result = self.conn.execute(_DELETE_OPERATION, {"id": operation_id})
        self._known[operation_id] = None
        return bool(result.rowcount)

    def query(self, q: OperationQuery) -> Iterator[StoredOperation]:
        if q.area is not None:
            found = self.candidates(q.area)
            if q.party is not None:
                found = [s for s in found if s.operation.party == q.party]
            yield from first_by_start(found, q.limit)
            return
        stmt = select(operations).order_by(operations.c.time_start_us, operations.c.id)
        if q.party is not None:
            stmt = stmt.where(operations.c.party == q.party)
        if not q.include_ended:
            stmt = stmt.where(operations.c.state != OperationState.ENDED.value)
        if q.time is not None:
            stmt = stmt.where(operations.c.time_start_us <= to_us(q.time.end))
            stmt = stmt.where(operations.c.time_end_us >= to_us(q.time.start))
        if q.altitude is not None:
            stmt = stmt.where(operations.c.altitude_lower_m <= q.altitude.upper_m)
            stmt = stmt.where(operations.c.altitude_upper_m >= q.altitude.lower_m)
        rows = list(self.conn.execute(stmt.limit(q.limit)).all())
        if len(rows) == q.limit:
            # Which of the operations starting at the boundary make the cut must not
            # depend on their ids (another party's are secret): take them all.
            last = rows[-1].time_start_us
            seen = [r.id for r in rows if r.time_start_us == last]
            tied = stmt.where(operations.c.time_start_us == last)
            rows += [r for r in self.conn.execute(tied).all() if r.id not in seen]
        yield from self._load(rows)

    def _load(self, rows: Sequence[Any]) -> list[StoredOperation]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        vols: dict[str, list[Volume4D]] = {i: [] for i in ids}
        for chunk in chunks(ids):
            for v in self.conn.execute(_VOLUMES_OF, {"ids": chunk}):
                vols[v.operation_id].append(volume_from_row(v))
        for r in rows:
            self._known[r.id] = (r.version, r.created_us)
        return [
            StoredOperation(
                Operation(
                    r.id,
                    r.party,
                    r.priority,
                    OperationState(r.state),
                    tuple(vols[r.id]),
                    orjson.loads(r.details),
                ),
                r.version,
                from_us(r.created_us),
                from_us(r.updated_us),
            )
            for r in rows
        ]


def first_by_start(found: list[StoredOperation], limit: int) -> list[StoredOperation]:
    """The ``limit`` earliest-starting operations, and every one that starts at the same
    instant as the last of them: a caller that orders equal starts by what its viewer
    may see then cuts the list fairly (``OperationQuery.limit``)."""
    ordered = sorted(found, key=lambda s: s.operation.time_extent.start)
    if len(ordered) <= limit:
        return ordered
    last = ordered[limit - 1].operation.time_extent.start
    return [s for s in ordered if s.operation.time_extent.start <= last]


DEFAULT_TIMEOUT_S = 10.0
"""How long a transaction, retries included, may take before the caller gets a 503."""

WATCHDOG_GRACE_S = 0.5
"""The watchdog fires this long after the deadline, so that on a server that still
answers its own ``statement_timeout`` ends the query first (the connection survives)."""


REQUEST_DEADLINE: ContextVar[float | None] = ContextVar("deconflict_request_deadline", default=None)
"""The ``time.monotonic()`` by which the current request must be answered, if any: every
transaction it opens ends by then (``request_budget``), however many it opens."""


@contextmanager
def request_budget(seconds: float) -> Iterator[None]:
    """Bound every transaction opened in this context (this request) by one deadline
    ``seconds`` from now, on top of each transaction's own ``timeout_s``: a request that
    spent its time on one transaction gets a 503 from the next, not another budget."""
    token = REQUEST_DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        REQUEST_DEADLINE.reset(token)


class StoreCounts:
    """Transactions retried and given up (``StoreUnavailable``) since the store opened:
    plain counters the service's metrics read, so the store needs no metrics library."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.retries = 0
        self.unavailable = 0

    def add(self, retries: int = 0, unavailable: int = 0) -> None:
        with self._lock:
            self.retries += retries
            self.unavailable += unavailable


class SqlStore:
    def __init__(self, engine: Engine, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self.is_sqlite = engine.dialect.name == "sqlite"
        # PostgreSQL proper; CockroachDB speaks its protocol but lacks its planner knobs.
        self.is_postgresql = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time. Queuing writers of this process on a lock
        # hands the database over as soon as it is free, instead of leaving them in
        # SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._writer = threading.Lock()
        self.grouping: GroupCommit[SqlSession] = GroupCommit(self)
        self.counts = StoreCounts()

    def _deadline(self, deadline: float | None) -> float:
        """``deadline``, or ``timeout_s`` from now, but never past the request's
        (``request_budget``); ``StoreUnavailable`` at once if that is already spent."""
        if deadline is None:
            deadline = time.monotonic() + self.timeout_s
        request = REQUEST_DEADLINE.get()
        if request is not None:
            if request <= time.monotonic():
                self.counts.add(unavailable=1)
                raise StoreUnavailable("the request's time for the database is spent")
            deadline = min(deadline, request)
        return deadline

    @property
    def retry_budget_s(self) -> float:
        """The former name of ``timeout_s``."""
        return self.timeout_s

    @contextmanager
    def session(self, write: bool = False, deadline: float | None = None) -> Iterator[SqlSession]:
        """One transaction; committed when the block ends, rolled back on error.

        It must end by ``deadline`` (``time.monotonic()``; default ``timeout_s`` from
        now) or raise ``StoreUnavailable``: waiting for the SQLite writer lock, for a
        pooled connection, for the server to answer, all count. Serialization failures
        are retried by ``run``; a plain ``session`` raises them.
        """
        deadline = self._deadline(deadline)
        if self.is_sqlite:
            with self._sqlite_session(write, deadline) as s:
                yield s
        else:
            with self._server_session(deadline, write) as s:
                yield s

    @contextmanager
    def _sqlite_session(self, write: bool, deadline: float) -> Iterator[SqlSession]:
        if write and not self._writer.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise StoreUnavailable(f"the database stayed locked for {self.timeout_s:g} s")
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
                with _committed(conn) as s:
                    yield s
        finally:
            if write:
                self._writer.release()

    @contextmanager
    def _server_session(self, deadline: float, write: bool) -> Iterator[SqlSession]:
        with WATCHDOG.watch(deadline + WATCHDOG_GRACE_S) as watch:
            try:
                with self._connect(deadline, watch, write) as conn, _committed(conn) as s:
                    yield s
            except (OperationalError, SaTimeoutError) as exc:
                if watch.fired or isinstance(exc, SaTimeoutError) or _timed_out(exc):
                    raise StoreUnavailable(
                        f"the database did not answer within {self.timeout_s:g} s"
                    ) from exc
                raise
            except DBAPIError as exc:
                if exc.connection_invalidated or _read_only(exc):
                    # A standby (a failover under way) or a server going down: not the
                    # caller's fault and not ours; ``run`` retries a standby's refusal.
                    raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
                raise

    @contextmanager
    def _connect(self, deadline: float, watch: Watch, write: bool) -> Iterator[Connection]:
        """A pooled connection in a SERIALIZABLE transaction bounded by ``deadline``.

        The first statement (the transaction's settings) doubles as the pool's liveness
        check: a connection that died while pooled (the server restarted) fails it with
        a disconnect, which makes the pool drop every connection as old as it; one more
        try then gets a fresh one. That saves ``pool_pre_ping``'s extra round trip on
        every checkout.
        """
        for attempt in (1, 2):
            # The pool's wait and a new connection's timeout come out of this deadline
            # (``_DeadlinePool``, ``_connect_timeout``), not on top of it.
            _CHECKOUT.deadline = deadline
            try:
                conn = self.engine.connect()
            finally:
                _CHECKOUT.deadline = None
            try:
                WATCHDOG.arm(watch, _socket_of(conn))
                conn = conn.execution_options(isolation_level="SERIALIZABLE")
                conn.begin()
                conn.exec_driver_sql(self._settings_sql(deadline, write))
            except DBAPIError as exc:
                conn.close()
                if attempt == 1 and exc.connection_invalidated and not watch.fired:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            with conn:
                yield conn
            return

    def _settings_sql(self, deadline: float, write: bool = False) -> str:
        """The first statements of one transaction, sent in a single round trip.

        ``statement_timeout`` makes a live server end a query (a lock wait included)
        by the transaction's deadline and give its locks back. On PostgreSQL, under
        SERIALIZABLE a sequential scan takes a predicate lock on the whole table, so
        writers kilometres apart abort each other; index scans lock only the index
        pages read: the cells actually searched. CockroachDB has no such planner
        switch (nor needs it: its conflicts are by key span).

        A hot standby refuses SERIALIZABLE ("cannot use serializable mode in a hot
        standby") right here, before any work ran: a pooled connection to a node that a
        failover turned into a standby is then dropped (``_drop_gone``) and the
        transaction retried on the primary (``run``).

        A write transaction on PostgreSQL then waits for its turn: ``LOCK TABLE
        writer_lock IN EXCLUSIVE MODE`` (architecture decision 17). The lock is taken
        before the transaction's snapshot (``LOCK`` takes none), so each writer sees
        everything the writers before it committed, and writers of every replica no
        longer abort each other on shared index pages; SERIALIZABLE stays, so a
        transaction that writes without its turn (a session opened as a read) is still
        checked. The wait counts against ``statement_timeout`` and ``lock_timeout``,
        so a writer that never gets its turn ends at its deadline with a 503.
        CockroachDB has no ``LOCK TABLE``; its writers keep retrying instead.
        """
        ms = max(1, int((deadline - time.monotonic()) * 1000))
        sql = f"SET LOCAL statement_timeout = {ms}"
        if self.is_postgresql:
            sql += "; SET LOCAL enable_seqscan = off"
            if write:
                sql += f"; LOCK TABLE {WRITER_LOCK} IN EXCLUSIVE MODE"
        return sql

    def run(
        self, work: Callable[[SqlSession], T], write: bool = True, deadline: float | None = None
    ) -> T:
        """Run ``work(session)`` in a transaction, retrying transient failures.

        Serialization failures are expected under SERIALIZABLE when writers meet: they
        are retried with exponential backoff and full jitter (so that the writers that
        collided do not collide again in step) until ``timeout_s`` is spent (or
        ``deadline``, a ``time.monotonic()``), then ``StoreUnavailable`` (a 503) is
        raised. Every attempt shares that deadline.
        """
        deadline = self._deadline(deadline)
        cap = 0.005
        while True:
            try:
                with self.session(write, deadline) as s:
                    return work(s)
            except StoreUnavailable as exc:
                standby = isinstance(exc.__cause__, DBAPIError) and _read_only(exc.__cause__)
                if not standby or time.monotonic() >= deadline:
                    self.counts.add(unavailable=1)
                    raise
                # A standby refused before anything was written: safe to run again on
                # a new connection, which ``target_session_attrs`` sends to the primary.
                self.counts.add(retries=1)
                time.sleep(min(random.uniform(0.0, cap), max(0.0, deadline - time.monotonic())))
                cap = min(cap * 2.0, 0.25)
            except OperationalError as exc:
                if not _transient(exc) or time.monotonic() >= deadline:
                    self.counts.add(unavailable=1)
                    raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
                self.counts.add(retries=1)
                time.sleep(min(random.uniform(0.0, cap), max(0.0, deadline - time.monotonic())))
                cap = min(cap * 2.0, 0.25)

    def prepare(self, operation: Operation) -> None:
        for v in operation.volumes:
            cells_of(v.footprint)

    def run_grouped(self, work: Callable[[SqlSession], T]) -> T:
        """``run(work)``, sharing a transaction with the concurrent ones (``grouped.py``)."""
        return self.grouping.run(work)

    def close(self) -> None:
        self.grouping.close()
        self.engine.dispose()


def _drop_after_commit(conn: Connection) -> None:
    """Forget the hooks of a transaction that failed. A connection the failure
    invalidated (the server went away) must not be touched before its rollback, and
    needs nothing: the pool clears its ``info`` before reconnecting it."""
    if not conn.invalidated:
        take_after_commit(conn)


def _after_commit(conn: Connection) -> None:
    """Run the committed transaction's follow-up work (``hooks.py``). Its failure must
    not turn a committed change into an error: the work is left for readers to finish."""
    for hook in take_after_commit(conn):
        try:
            hook(conn)
        except Exception as exc:  # the change is committed whatever happens here
            _log.warning("follow-up of a committed transaction left for later: %s", exc)
            with contextlib.suppress(Exception):
                conn.rollback()


@contextmanager
def _committed(conn: Connection) -> Iterator[SqlSession]:
    """The session of the transaction open on ``conn``: committed, then followed up
    (``_after_commit``), when the work returns; rolled back, its follow-ups dropped,
    when it raises. The same on every engine, whatever began the transaction."""
    try:
        yield SqlSession(conn)
    except BaseException:
        _drop_after_commit(conn)
        conn.rollback()
        raise
    conn.commit()
    if conn.info.pop(UNREPLICATED, False):
        raise StoreUnavailable(
            "the commit was not confirmed by the synchronous standby in time: "
            "not acknowledged (it may or may not survive a failover)"
        )
    _after_commit(conn)


def _socket_of(conn: Connection) -> int | None:
    """The file descriptor under a pooled connection (psycopg 3 or psycopg2)."""
    raw: Any = conn.connection.dbapi_connection
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is not None:
        return int(pgconn.socket)
    fileno = getattr(raw, "fileno", None)
    return int(fileno()) if callable(fileno) else None


def _transient(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    text = str(exc.orig).lower()
    return code in ("40001", "40P01") or "locked" in text or "busy" in text


def _read_only(exc: DBAPIError) -> bool:
    """A standby refused the transaction: a failover moved the primary elsewhere.

    ``25006`` is a write in a read-only transaction; ``0A000`` naming the hot standby
    (or recovery) is a standby refusing SERIALIZABLE, which every session asks for.
    """
    return _standby_refusal(exc.orig)


def standby_refused(exc: BaseException) -> bool:
    """Whether ``exc`` (a ``StoreUnavailable`` or a driver error) is a standby refusing
    the transaction, i.e. this process is connected to a node that cannot write now."""
    return any(isinstance(e, DBAPIError) and _read_only(e) for e in (exc, exc.__cause__))


def _standby_refusal(orig: object) -> bool:
    code = getattr(orig, "sqlstate", None)
    text = str(orig).lower()
    return code == "25006" or (code == "0A000" and ("standby" in text or "recovery" in text))


GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "25006"})
"""Errors after which the connection is no use: an administrator's or a crash's shutdown,
a server still starting, a standby's refusal to write. Every pooled connection as old
as the failed one is dropped (``_drop_gone``)."""


def _drop_gone(context: Any) -> None:
    """``handle_error``: count these as disconnects, so the pool drops the connection and
    every one opened before it (they point at the same, former, primary)."""
    orig = context.original_exception
    if getattr(orig, "sqlstate", None) in GONE_SQLSTATES or _standby_refusal(orig):
        context.is_disconnect = True


class _Checkout(threading.local):
    """The deadline of the transaction this thread is opening, while it waits for a
    pooled connection or opens a new one (``None`` otherwise)."""

    deadline: float | None = None


_CHECKOUT = _Checkout()


def _remaining_s(default: float) -> float:
    deadline = _CHECKOUT.deadline
    return default if deadline is None else min(default, deadline - time.monotonic())


class _DeadlinePool(QueuePool):
    """A ``QueuePool`` whose wait for a free connection ends at the caller's deadline
    rather than a fixed ``pool_timeout`` after the checkout began (a request that spent
    its budget on retries must not then wait a whole ``pool_timeout`` more)."""

    _base_timeout: float = 30.0

    @property
    def _timeout(self) -> float:
        return max(0.0, _remaining_s(self._base_timeout))

    @_timeout.setter
    def _timeout(self, value: float) -> None:
        self._base_timeout = value


def _connect_timeout(hosts: int, ceiling_s: int) -> Callable[..., None]:
    """``do_connect``: a new connection's ``connect_timeout`` from what is left of the
    deadline, shared among the hosts psycopg will try one after another (a paused former
    primary accepts TCP and never answers: it must not take the whole budget). libpq
    counts whole seconds and waits at least 2."""

    def apply(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        per_host = _remaining_s(float(ceiling_s)) / hosts
        cparams["connect_timeout"] = max(2, min(ceiling_s, int(per_host)))

    return apply


def _timed_out(exc: OperationalError) -> bool:
    """The server ended the statement at its deadline (statement or lock timeout)."""
    return getattr(exc.orig, "sqlstate", None) in ("57014", "55P03")


def open_store(url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> SqlStore:
    """Open (and migrate to the latest schema) the database at ``url``.

    ``timeout_s`` bounds every transaction, retries included: past it the caller gets
    ``StoreUnavailable`` (503), whether the database is locked, overloaded, down or
    hung.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout_s, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas(int(timeout_s * 1000)))
        # No implicit transactions from the driver: sessions issue BEGIN IMMEDIATE themselves.
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    else:
        # Several hosts (a Patroni cluster) and target_session_attrs: ``store/urls.py``.
        url = checked_url(url)
        ms = str(int(timeout_s * 1000))
        connect_args = {
            # Fail over dead servers in seconds instead of hanging requests on them:
            # connect_timeout bounds a new connection, keepalives and the TCP user
            # timeout notice a peer that vanished from the network.
            "connect_timeout": max(2, min(5, int(timeout_s))),
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 3,
            "keepalives_count": 3,
            "tcp_user_timeout": int(ms),
        }
        engine = create_engine(
            url,
            poolclass=_DeadlinePool,
            pool_size=10,
            max_overflow=20,
            pool_timeout=timeout_s,
            connect_args=connect_args,
        )
        event.listen(engine, "connect", _server_settings(ms))
        event.listen(
            engine, "do_connect", _connect_timeout(host_count(url), connect_args["connect_timeout"])
        )
        event.listen(engine, "handle_error", _drop_gone)
    # Migrations run without the request deadline: on a large database they may
    # rightly take longer, and nothing waits on them but the starting process. That
    # includes the per-connection ceilings set above: a migration's transaction whose
    # process is slow between two statements (a busy machine importing a migration's
    # module) must not be ended for idling.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL lock_timeout = 0"
            )
        upgrade(conn)
    return SqlStore(engine, timeout_s)


UNREPLICATED = "deconflict.unreplicated"
"""``conn.info`` flag: the server cancelled the commit's wait for the synchronous standby."""


def _watch_sync_commit(dbapi_conn: Any, record: Any) -> None:
    """Flag a commit whose wait for the synchronous standby was cancelled.

    With synchronous replication (Patroni's ``synchronous_mode``), ``statement_timeout``
    firing while COMMIT waits for the standby cancels the wait: PostgreSQL then reports
    success with only a WARNING ("canceling wait for synchronous replication ... already
    committed locally, but might not have been replicated"). Acknowledging that write
    could promise a change a failover then loses, so ``_committed`` answers 503 instead.
    The notice costs no round trip, unlike lifting the timeout before every COMMIT.
    """
    add = getattr(dbapi_conn, "add_notice_handler", None)
    if add is None:
        return  # psycopg2: no per-notice hook; the deadline still holds

    def on_notice(diag: Any) -> None:
        text = str(getattr(diag, "message_primary", "") or "")
        if "wait for synchronous replication" in text:
            record.info[UNREPLICATED] = True

    add(on_notice)


def _server_settings(ms: str) -> Callable[[Any, Any], None]:
    """Per-connection ceilings the server enforces even without a client: a
    transaction left idle (its client paused or partitioned away) gives its locks
    back after ``ms``; a lock wait ends then too. Also watches commits for a cancelled
    synchronous-replication wait (``_watch_sync_commit``)."""

    def apply(dbapi_conn: Any, record: Any) -> None:
        _watch_sync_commit(dbapi_conn, record)
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        cur = dbapi_conn.cursor()
        for name in ("lock_timeout", "idle_in_transaction_session_timeout"):
            cur.execute(f"SET {name} = {ms}")
        cur.close()
        dbapi_conn.autocommit = autocommit

    return apply


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    """WAL, and a busy timeout no longer than the transaction deadline."""

    def apply(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.close()

    return apply
