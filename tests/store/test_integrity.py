"""``integrity.check`` finds each kind of damage a crash or a hand edit could leave,
and nothing in a sound database, on every backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, delete, func, insert, select, text, update

from deconflict.audit.entry import AuditEntry
from deconflict.geo.footprint import Circle
from deconflict.store.audit import append_audit, chain_pending
from deconflict.store.integrity import Problem, check
from deconflict.store.outbox import NewEvent, append_events
from deconflict.store.schema import operations, volume_cells, volumes
from deconflict.store.schema_audit import audit_log
from deconflict.store.schema_notify import party_event_heads
from deconflict.store.sql import SqlStore
from tests.core.factories import operation, square, volume


def seed(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2)), volume(Circle(1.0, 2.0, 300.0), t0=700, t1=900)))
        s.put(operation("b", volume(square(5, 6), lo=200, hi=300)))
        append_events(s.conn, [NewEvent("alpha", "k", "{}"), NewEvent("alpha", "k", "{}")], 0)
        append_audit(s, [AuditEntry("change", "alpha", "alpha", "operation", x) for x in "abc"])
    chain_pending(store)


def damage(store: SqlStore, work: Callable[[Connection], object]) -> None:
    """Apply ``work`` with foreign keys off: damage the schema would otherwise refuse."""
    with store.engine.connect() as conn:
        if store.is_sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN")
        else:
            conn.begin()
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        work(conn)
        conn.commit()
        if store.is_sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def kinds(problems: list[Problem]) -> list[tuple[str, str]]:
    return sorted((p.kind, p.subject) for p in problems)


def test_a_sound_database_has_no_problems(store: SqlStore) -> None:
    seed(store)
    assert check(store) == []


def test_an_empty_database_has_no_problems(store: SqlStore) -> None:
    assert check(store) == []


DAMAGE: dict[str, tuple[Callable[[Connection], object], list[tuple[str, str]]]] = {
    "a missing cell": (
        lambda c: c.execute(
            delete(volume_cells).where(
                (volume_cells.c.operation_id == "b")
                & (
                    volume_cells.c.cell
                    == select(func.min(volume_cells.c.cell))
                    .where(volume_cells.c.operation_id == "b")
                    .scalar_subquery()
                )
            )
        ),
        [("cells", "b")],
    ),
    "an extra cell": (
        lambda c: c.execute(insert(volume_cells).values(cell=12345, operation_id="b", idx=0)),
        [("cells", "b")],
    ),
    "a volume without cells": (
        lambda c: c.execute(delete(volume_cells).where(volume_cells.c.operation_id == "b")),
        [("cells", "b")],
    ),
    "an operation without volumes": (
        lambda c: (
            c.execute(delete(volume_cells).where(volume_cells.c.operation_id == "b")),
            c.execute(delete(volumes).where(volumes.c.operation_id == "b")),
        ),
        [("volumes", "b")],
    ),
    "a gap in volume indices": (
        lambda c: (
            c.execute(
                update(volume_cells)
                .where((volume_cells.c.operation_id == "a") & (volume_cells.c.idx == 1))
                .values(idx=2)
            ),
            c.execute(
                update(volumes)
                .where((volumes.c.operation_id == "a") & (volumes.c.idx == 1))
                .values(idx=2)
            ),
        ),
        [("volumes", "a")],
    ),
    "a wrong extent": (
        lambda c: c.execute(
            update(operations).where(operations.c.id == "b").values(altitude_upper_m=250.0)
        ),
        [("extent", "b")],
    ),
    "a version below one": (
        lambda c: c.execute(update(operations).where(operations.c.id == "a").values(version=0)),
        [("version", "a")],
    ),
    "volumes of a deleted operation": (
        lambda c: c.execute(delete(operations).where(operations.c.id == "b")),
        [("orphan-volume", "b")],
    ),
    "cells of a deleted volume": (
        lambda c: c.execute(delete(volumes).where(volumes.c.operation_id == "b")),
        [("orphan-cell", "b"), ("volumes", "b")],
    ),
    "an event-log head behind its events": (
        lambda c: c.execute(
            update(party_event_heads).where(party_event_heads.c.party == "alpha").values(last_seq=1)
        ),
        [("event-log", "alpha")],
    ),
    "an altered audit entry": (
        lambda c: c.execute(update(audit_log).where(audit_log.c.seq == 2).values(actor="mallory")),
        [("audit", "2")],
    ),
    "an old schema revision": (
        lambda c: c.execute(text("UPDATE alembic_version SET version_num = '0001'")),
        [("schema", "alembic")],
    ),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_each_kind_of_damage_is_found(store: SqlStore, name: str) -> None:
    seed(store)
    work, expected = DAMAGE[name]
    damage(store, work)
    problems = check(store)
    assert kinds(problems) == expected, [str(p) for p in problems]
