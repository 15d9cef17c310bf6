"""Operations, their 4D volumes and the cell index.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("party", sa.String(256), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("time_start_us", sa.BigInteger, nullable=False),
        sa.Column("time_end_us", sa.BigInteger, nullable=False),
        sa.Column("altitude_lower_m", sa.Float, nullable=False),
        sa.Column("altitude_upper_m", sa.Float, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_operations_party", "operations", ["party"])
    op.create_index("ix_operations_time", "operations", ["time_end_us", "time_start_us"])
    op.create_table(
        "volumes",
        sa.Column("operation_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("time_start_us", sa.BigInteger, nullable=False),
        sa.Column("time_end_us", sa.BigInteger, nullable=False),
        sa.Column("altitude_lower_m", sa.Float, nullable=False),
        sa.Column("altitude_upper_m", sa.Float, nullable=False),
        sa.Column("footprint", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
    )
    op.create_table(
        "volume_cells",
        sa.Column("cell", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("operation_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.ForeignKeyConstraint(
            ["operation_id", "idx"],
            ["volumes.operation_id", "volumes.idx"],
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_volume_cells_operation", "volume_cells", ["operation_id"])


def downgrade() -> None:
    op.drop_table("volume_cells")
    op.drop_table("volumes")
    op.drop_table("operations")
