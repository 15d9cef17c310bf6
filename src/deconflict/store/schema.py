"""The tables, in SQLAlchemy Core: portable SQL (SQLite, PostgreSQL, CockroachDB).

Times are integer microseconds since the Unix epoch (UTC) so that comparisons are exact
and identical on every engine. Cells are signed 64-bit S2 cell ids (see geo.covering).
Alembic migrations in ``migrations/`` create exactly these tables; a test checks that
the two agree.
"""

from __future__ import annotations

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

operations = Table(
    "operations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("party", String(256), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("time_start_us", BigInteger, nullable=False),
    Column("time_end_us", BigInteger, nullable=False),
    Column("altitude_lower_m", Float, nullable=False),
    Column("altitude_upper_m", Float, nullable=False),
    Column("details", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Index("ix_operations_party", "party"),
    Index("ix_operations_time", "time_end_us", "time_start_us"),
)

volumes = Table(
    "volumes",
    metadata,
    Column("operation_id", String(64), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("time_start_us", BigInteger, nullable=False),
    Column("time_end_us", BigInteger, nullable=False),
    Column("altitude_lower_m", Float, nullable=False),
    Column("altitude_upper_m", Float, nullable=False),
    Column("footprint", Text, nullable=False),
    ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
)

volume_cells = Table(
    "volume_cells",
    metadata,
    Column("cell", BigInteger, primary_key=True, autoincrement=False),
    Column("operation_id", String(64), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    ForeignKeyConstraint(
        ["operation_id", "idx"], ["volumes.operation_id", "volumes.idx"], ondelete="CASCADE"
    ),
    Index("ix_volume_cells_operation", "operation_id"),
)

CELL_OF_VOLUME = (volumes.c.operation_id == volume_cells.c.operation_id) & (
    volumes.c.idx == volume_cells.c.idx
)
"""How a ``volume_cells`` row joins the volume it indexes."""
