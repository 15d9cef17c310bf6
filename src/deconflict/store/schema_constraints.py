"""Tables of constraints and agreed zones, on the same ``metadata`` as the operations.

Constraints and zone sectors get their own cell tables rather than rows in
``operations``: they do not occupy airspace the way operations do (an operation never
conflicts with a constraint *as an operation* would), and the planner looks them up
separately, so mixing them would make every operation query filter them out again.

Zones are versioned: ``agreed_zones`` holds the current version and
``agreed_zone_versions`` every version ever written (and the deletion, as a version
with ``deleted`` set), because an agreement between parties that do not trust each
other must be auditable: who changed the line, when, and what it was before.

Times are integer microseconds since the epoch and cells signed S2 level-13 ids, as in
``schema.py``. Table names avoid the SQL keyword ``constraint``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from deconflict.store.schema import band, metadata, piece_cells, stamps, volume_table, window

airspace_constraints = Table(
    "airspace_constraints",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("owner", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("allowed_parties", Text, nullable=False),
    Column("allowed_min_priority", Integer, nullable=True),
    *window("valid"),
    Column("details", Text, nullable=False),
    *stamps(),
    Index("ix_airspace_constraints_owner", "owner"),
    Index("ix_airspace_constraints_valid", "valid_end_us", "valid_start_us"),
)

airspace_constraint_volumes = volume_table(
    "airspace_constraint_volumes", "constraint_id", "airspace_constraints"
)

airspace_constraint_cells = piece_cells(
    "airspace_constraint_cells", "constraint_id", "airspace_constraint_volumes"
)

agreed_zones = Table(
    "agreed_zones",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    *window("valid"),
    *band(),
    *stamps(),
    Index("ix_agreed_zones_valid", "valid_end_us", "valid_start_us"),
)

agreed_zone_sectors = Table(
    "agreed_zone_sectors",
    metadata,
    Column("zone_id", String(64), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("party", String(256), nullable=False),
    Column("footprint", Text, nullable=False),
    ForeignKeyConstraint(["zone_id"], ["agreed_zones.id"], ondelete="CASCADE"),
    Index("ix_agreed_zone_sectors_party", "party"),
)

agreed_zone_cells = piece_cells("agreed_zone_cells", "zone_id", "agreed_zone_sectors")

agreed_zone_versions = Table(
    "agreed_zone_versions",
    metadata,
    Column("zone_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("deleted", Boolean, nullable=False),
    Column("changed_by", String(256), nullable=False),
    Column("changed_us", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
)
