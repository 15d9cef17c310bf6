"""The tables, in SQLAlchemy Core: portable SQL (SQLite, PostgreSQL, CockroachDB).

Times are integer microseconds since the Unix epoch (UTC) so that comparisons are exact
and identical on every engine. Cells are signed 64-bit S2 cell ids (see geo.covering).
Alembic migrations in ``migrations/`` create exactly these tables; a test checks that
the two agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def window(name: str = "time") -> list[Column[Any]]:
    """A ``[start, end)`` interval in microseconds: every table with one names its two
    ends the same way, so the range queries read alike (each table needs Column objects
    of its own, hence a function)."""
    return [
        Column(f"{name}_start_us", BigInteger, nullable=False),
        Column(f"{name}_end_us", BigInteger, nullable=False),
    ]


def band() -> list[Column[Any]]:
    """An altitude band in metres, lower and upper."""
    return [
        Column("altitude_lower_m", Float, nullable=False),
        Column("altitude_upper_m", Float, nullable=False),
    ]


def stamps() -> list[Column[Any]]:
    """When a row was first written and last changed."""
    return [
        Column("created_us", BigInteger, nullable=False),
        Column("updated_us", BigInteger, nullable=False),
    ]


def volume_table(name: str, owner: str, owner_table: str) -> Table:
    """The 4D volumes of a thing that occupies or restricts airspace (an operation, a
    constraint): one row per volume, numbered ``idx`` within its owner, deleted with it."""
    return Table(
        name,
        metadata,
        Column(owner, String(64), primary_key=True),
        Column("idx", Integer, primary_key=True, autoincrement=False),
        *window(),
        *band(),
        Column("footprint", Text, nullable=False),
        ForeignKeyConstraint([owner], [f"{owner_table}.id"], ondelete="CASCADE"),
    )


def piece_cells(name: str, owner: str, pieces: str) -> Table:
    """The cell index of numbered pieces (volumes, zone sectors): one row per cell a
    piece covers, deleted with the piece; the index on the owner serves whole-owner
    deletes."""
    return Table(
        name,
        metadata,
        Column("cell", BigInteger, primary_key=True, autoincrement=False),
        Column(owner, String(64), primary_key=True),
        Column("idx", Integer, primary_key=True, autoincrement=False),
        ForeignKeyConstraint(
            [owner, "idx"], [f"{pieces}.{owner}", f"{pieces}.idx"], ondelete="CASCADE"
        ),
        Index(f"ix_{name}_{owner.removesuffix('_id')}", owner),
    )


def area_cells(name: str, owner: str, owner_table: str) -> Table:
    """The cell index of a thing looked up by area as a whole (an F3548 subscription or
    constraint): one row per cell, keyed by the F3548 UUID, deleted with its owner."""
    return Table(
        name,
        metadata,
        Column("cell", BigInteger, primary_key=True, autoincrement=False),
        Column(owner, String(36), primary_key=True),
        ForeignKeyConstraint([owner], [f"{owner_table}.id"], ondelete="CASCADE"),
        Index(f"ix_{name}_{owner.removesuffix('_id')}", owner),
    )


operations = Table(
    "operations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("party", String(256), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    *window(),
    *band(),
    Column("details", Text, nullable=False),
    *stamps(),
    Index("ix_operations_party", "party"),
    Index("ix_operations_time", "time_end_us", "time_start_us"),
)

volumes = volume_table("volumes", "operation_id", "operations")

volume_cells = piece_cells("volume_cells", "operation_id", "volumes")

CELL_OF_VOLUME = (volumes.c.operation_id == volume_cells.c.operation_id) & (
    volumes.c.idx == volume_cells.c.idx
)
"""How a ``volume_cells`` row joins the volume it indexes."""
