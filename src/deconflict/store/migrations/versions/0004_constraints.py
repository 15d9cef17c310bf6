"""Constraints (no-fly, restricted, advisory) and versioned agreed zones.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "airspace_constraints",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("allowed_parties", sa.Text, nullable=False),
        sa.Column("allowed_min_priority", sa.Integer, nullable=True),
        sa.Column("valid_start_us", sa.BigInteger, nullable=False),
        sa.Column("valid_end_us", sa.BigInteger, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_airspace_constraints_owner", "airspace_constraints", ["owner"])
    op.create_index(
        "ix_airspace_constraints_valid", "airspace_constraints", ["valid_end_us", "valid_start_us"]
    )
    op.create_table(
        "airspace_constraint_volumes",
        sa.Column("constraint_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("time_start_us", sa.BigInteger, nullable=False),
        sa.Column("time_end_us", sa.BigInteger, nullable=False),
        sa.Column("altitude_lower_m", sa.Float, nullable=False),
        sa.Column("altitude_upper_m", sa.Float, nullable=False),
        sa.Column("footprint", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["constraint_id"], ["airspace_constraints.id"], ondelete="CASCADE"),
    )
    op.create_table(
        "airspace_constraint_cells",
        sa.Column("cell", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("constraint_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.ForeignKeyConstraint(
            ["constraint_id", "idx"],
            ["airspace_constraint_volumes.constraint_id", "airspace_constraint_volumes.idx"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_airspace_constraint_cells_constraint", "airspace_constraint_cells", ["constraint_id"]
    )
    op.create_table(
        "agreed_zones",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("valid_start_us", sa.BigInteger, nullable=False),
        sa.Column("valid_end_us", sa.BigInteger, nullable=False),
        sa.Column("altitude_lower_m", sa.Float, nullable=False),
        sa.Column("altitude_upper_m", sa.Float, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_agreed_zones_valid", "agreed_zones", ["valid_end_us", "valid_start_us"])
    op.create_table(
        "agreed_zone_sectors",
        sa.Column("zone_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("party", sa.String(256), nullable=False),
        sa.Column("footprint", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["zone_id"], ["agreed_zones.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_agreed_zone_sectors_party", "agreed_zone_sectors", ["party"])
    op.create_table(
        "agreed_zone_cells",
        sa.Column("cell", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("zone_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.ForeignKeyConstraint(
            ["zone_id", "idx"],
            ["agreed_zone_sectors.zone_id", "agreed_zone_sectors.idx"],
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_agreed_zone_cells_zone", "agreed_zone_cells", ["zone_id"])
    op.create_table(
        "agreed_zone_versions",
        sa.Column("zone_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("changed_by", sa.String(256), nullable=False),
        sa.Column("changed_us", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agreed_zone_versions")
    op.drop_table("agreed_zone_cells")
    op.drop_table("agreed_zone_sectors")
    op.drop_table("agreed_zones")
    op.drop_table("airspace_constraint_cells")
    op.drop_table("airspace_constraint_volumes")
    op.drop_table("airspace_constraints")
