"""An offline audit of the store: what a crash, a bad import or a hand edit could break.

The service's guarantees rest on invariants that no SQL constraint expresses: the cell
index must cover every footprint (a missing cell means a missed conflict), the extents
in ``operations`` must bound the volumes (list filters trust them), and volume indices
must be contiguous (the API returns volumes in order). ``check`` recomputes all of that
from the rows, reads through one consistent snapshot, and never writes, so it can run
against a live database on either engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Row, Table, func, inspect, select

from deconflict.errors import InvalidInput
from deconflict.geo.covering import covering
from deconflict.store.audit import verify_connection
from deconflict.store.codec import footprint_from_text
from deconflict.store.migrations_runner import config
from deconflict.store.schema import CELL_OF_VOLUME, operations, volume_cells, volumes
from deconflict.store.schema_notify import party_event_heads, party_events
from deconflict.store.sql import SqlStore

PAGE = 500
"""Operations checked per round trip: bounded memory on databases of any size."""


@dataclass(frozen=True)
class Problem:
    """One broken invariant: ``subject`` names the row (an operation id, a table)."""

    kind: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@contextmanager
def snapshot(store: SqlStore) -> Iterator[Connection]:
    """A read-only connection on one snapshot of the database.

    PostgreSQL gets REPEATABLE READ rather than the store's SERIALIZABLE: a long
    read-only serializable transaction can take part in rw-conflict cycles and make the
    service's writers retry, while a repeatable-read snapshot is just as consistent
    for a reader and costs writers nothing. SQLite's deferred ``BEGIN`` under WAL is a
    snapshot too, taken at the first read.
    """
    with store.engine.connect() as conn:
        if store.is_sqlite:
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.begin()
        try:
            yield conn
        finally:
            conn.rollback()


def head_revision(conn: Connection) -> str | None:
    """The newest migration this code ships."""
    return ScriptDirectory.from_config(config(conn)).get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def check(store: SqlStore) -> list[Problem]:
    """Every broken invariant of the database behind ``store``; empty when it is sound."""
    problems: list[Problem] = []
    with snapshot(store) as conn:
        head = head_revision(conn)
        current = current_revision(conn)
        if current != head:
            problems.append(
                Problem("schema", "alembic", f"at revision {current}, latest is {head}")
            )
        tables = set(inspect(conn).get_table_names())
        if not {"operations", "volumes", "volume_cells"} <= tables:
            problems.append(Problem("schema", "tables", "operations tables missing"))
            return problems
        problems += _orphans(conn)
        problems += _operations(conn)
        problems += _dss_orphans(conn, tables)
        problems += _event_logs(conn, tables)
        problems += _audit_chain(conn, tables)
    return problems


def _audit_chain(conn: Connection, tables: set[str]) -> list[Problem]:
    """The audit log's hash chain, as ``deconflict audit verify`` checks it (pending
    entries are not chained here: ``db check`` writes nothing)."""
    if not {"audit_log", "audit_head"} <= tables:
        return []
    verdict = verify_connection(conn)
    if verdict.fault is None:
        return []
    fault = verdict.fault
    return [Problem("audit", str(fault.seq), f"{fault.kind.value}: {fault.message}")]


def _event_logs(conn: Connection, tables: set[str]) -> list[Problem]:
    """Each party's head must be at or past its newest event: a head behind its log
    makes the party's next event reuse a sequence number, and every write that tries
    to record one fail."""
    if not {"party_events", "party_event_heads"} <= tables:
        return []
    tops = conn.execute(
        select(party_events.c.party, func.max(party_events.c.seq)).group_by(party_events.c.party)
    ).all()
    heads = {
        party: last
        for party, last in conn.execute(
            select(party_event_heads.c.party, party_event_heads.c.last_seq)
        )
    }
    found = []
    for party, top in tops:
        head = heads.get(party)
        if head is None or head < top:
            found.append(
                Problem("event-log", party, f"head at {head}, events up to {top}: sequence reuse")
            )
    return found


def _orphans(conn: Connection) -> list[Problem]:
    """Volumes without an operation and cells without a volume: debris of a partial write
    (the foreign keys forbid them, but SQLite enforces those only when asked to)."""
    found: list[Problem] = []
    lonely_volumes = (
        select(volumes.c.operation_id, volumes.c.idx)
        .outerjoin(operations, operations.c.id == volumes.c.operation_id)
        .where(operations.c.id.is_(None))
        .order_by(volumes.c.operation_id, volumes.c.idx)
    )
    for r in conn.execute(lonely_volumes):
        found.append(Problem("orphan-volume", r.operation_id, f"volume {r.idx} has no operation"))
    lonely_cells = (
        select(volume_cells.c.operation_id, volume_cells.c.idx, func.count().label("n"))
        .outerjoin(volumes, CELL_OF_VOLUME)
        .where(volumes.c.operation_id.is_(None))
        .group_by(volume_cells.c.operation_id, volume_cells.c.idx)
        .order_by(volume_cells.c.operation_id, volume_cells.c.idx)
    )
    for c in conn.execute(lonely_cells):
        found.append(
            Problem("orphan-cell", c.operation_id, f"{c.n} cells of missing volume {c.idx}")
        )
    return found


def operation_pages(conn: Connection, size: int) -> Iterator[Sequence[Row[Any]]]:
    """The operations in id order, ``size`` at a time (keyset pagination: no OFFSET
    rescans), for walks over every operation that must not hold them all at once."""
    after = ""
    while True:
        page = conn.execute(
            select(operations).where(operations.c.id > after).order_by(operations.c.id).limit(size)
        ).all()
        if not page:
            return
        yield page
        after = page[-1].id


def _operations(conn: Connection) -> Iterator[Problem]:
    for page in operation_pages(conn, PAGE):
        ids = [r.id for r in page]
        vols: dict[str, list[Any]] = defaultdict(list)
        for v in conn.execute(
            select(volumes).where(volumes.c.operation_id.in_(ids)).order_by(volumes.c.idx)
        ):
            vols[v.operation_id].append(v)
        cells: dict[tuple[str, int], set[int]] = defaultdict(set)
        for c in conn.execute(select(volume_cells).where(volume_cells.c.operation_id.in_(ids))):
            cells[(c.operation_id, c.idx)].add(c.cell)
        for row in page:
            yield from _operation(row, vols[row.id], cells)


def _operation(
    row: Any, vols: Sequence[Any], cells: dict[tuple[str, int], set[int]]
) -> Iterator[Problem]:
    op = row.id
    if row.version < 1:
        yield Problem("version", op, f"version {row.version} < 1")
    if not vols:
        yield Problem("volumes", op, "no volumes")
        return
    idx = [v.idx for v in vols]
    if idx != list(range(len(vols))):
        yield Problem("volumes", op, f"volume indices {idx} are not 0..{len(vols) - 1}")
    for v in vols:
        have = cells.get((op, v.idx), set())
        if not have:
            yield Problem("cells", op, f"volume {v.idx} has no cells")
            continue
        try:
            want = set(covering(footprint_from_text(v.footprint)))
        except (InvalidInput, ValueError, KeyError, TypeError) as exc:
            yield Problem("footprint", op, f"volume {v.idx}: unreadable footprint ({exc})")
            continue
        if have != want:
            missing, extra = len(want - have), len(have - want)
            yield Problem(
                "cells", op, f"volume {v.idx}: {missing} cells missing, {extra} extra cells"
            )
    expected = (
        min(v.time_start_us for v in vols),
        max(v.time_end_us for v in vols),
        min(v.altitude_lower_m for v in vols),
        max(v.altitude_upper_m for v in vols),
    )
    stored = (row.time_start_us, row.time_end_us, row.altitude_lower_m, row.altitude_upper_m)
    if stored != expected:
        yield Problem("extent", op, f"stored extent {stored} differs from the volumes' {expected}")


def _dss_orphans(conn: Connection, tables: set[str]) -> list[Problem]:
    """DSS rows whose parent is gone (present only once migration 0002 has run)."""
    if "dss_intents" not in tables:
        return []
    from deconflict.store.schema_dss import (
        constraint_cells,
        dss_constraints,
        dss_intents,
        dss_subscriptions,
        subscription_cells,
    )

    pairs: list[tuple[str, Table, Any, Table, Any]] = [
        ("orphan-intent", dss_intents, dss_intents.c.operation_id, operations, operations.c.id),
        (
            "orphan-subscription-cell",
            subscription_cells,
            subscription_cells.c.subscription_id,
            dss_subscriptions,
            dss_subscriptions.c.id,
        ),
        (
            "orphan-constraint-cell",
            constraint_cells,
            constraint_cells.c.constraint_id,
            dss_constraints,
            dss_constraints.c.id,
        ),
    ]
    found: list[Problem] = []
    for kind, child, key, parent, parent_key in pairs:
        q = (
            select(key)
            .distinct()
            .select_from(child.outerjoin(parent, parent_key == key))
            .where(parent_key.is_(None))
            .order_by(key)
        )
        found.extend(
            Problem(kind, r[0], f"{child.name} row without its {parent.name} row")
            for r in conn.execute(q)
        )
    return found
