"""Tactical alerts shared by the replicas: one announcement per conflict pair.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    op.create_table(
        "tactical_alerts",
        sa.Column("alert_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tactical_alerts_pair", "tactical_alerts", ["pair", "open"])


def downgrade() -> None:
    op.drop_index("ix_tactical_alerts_pair", "tactical_alerts")
    op.drop_table("tactical_alerts")
