"""What the core needs from persistence, as interfaces: nothing about SQL.

The core owns these so that it depends on no store; ``store/sql.py`` implements them
(SQLite embedded, PostgreSQL for replicas), and the tactical layer's nearby search reads
through the same session.
All reads and writes happen inside a ``session``; a write session is one serializable
transaction, so a check followed by a write cannot race another writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation


@dataclass(frozen=True)
class StoredOperation:
    operation: Operation
    version: int
    """Starts at 1, incremented by every write: the optimistic-concurrency token."""
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class OperationQuery:
    """Filters for listing operations; ``None`` means no filter."""

    party: str | None = None
    area: Volume4D | None = None
    time: TimeWindow | None = None
    altitude: AltitudeBand | None = None
    include_ended: bool = False
    limit: int = 1000
    """The earliest-starting ``limit`` operations are returned, in order of start, plus
    any that start at the same instant as the last of them: which operations are cut
    never depends on their ids, which other parties may not know."""


class StoreSession(Protocol):
    def get(self, operation_id: str) -> StoredOperation | None: ...

    def candidates(self, volume: Volume4D, exclude: str | None = None) -> list[StoredOperation]:
        """Live operations with a volume that may overlap ``volume``: a superset, never
        missing one the exact test would find (cell index plus time and altitude)."""
        ...

    def put(self, operation: Operation) -> StoredOperation:
        """Insert, or replace the stored operation with the same id (version + 1)."""
        ...

    def delete(self, operation_id: str) -> bool: ...

    def query(self, q: OperationQuery) -> Iterator[StoredOperation]: ...


T = TypeVar("T")


class Store(Protocol):
    def session(self, write: bool = False) -> AbstractContextManager[StoreSession]: ...

    def run(self, work: Callable[[StoreSession], T], write: bool = True) -> T:
        """``work`` in one transaction, retried on transient failures (serialization,
        locks); ``StoreUnavailable`` when they do not clear."""
        ...

    def prepare(self, operation: Operation) -> None:
        """Work out, before any transaction, what the store will need to index or
        search ``operation`` (its cell coverings): time not spent inside the writer
        that every write of the process waits for."""
        ...

    def run_grouped(self, work: Callable[[StoreSession], T]) -> T:
        """``run(work)``, possibly in one transaction with other callers' works, each
        seeing the previous ones' writes; if one fails, the batch is run again in
        halves, down to that work alone. For the frequent small writes whose
        transactions cost more than their statements (``store/grouped.py``)."""
        ...

    def close(self) -> None: ...
