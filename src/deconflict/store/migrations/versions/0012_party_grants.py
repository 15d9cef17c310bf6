"""Each party's priority range and off-nominal right, granted by the operator.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_table(
        "party_grants",
        sa.Column("party", sa.String(256), primary_key=True),
        sa.Column("priority_min", sa.BigInteger, nullable=False),
        sa.Column("priority_max", sa.BigInteger, nullable=False),
        sa.Column("off_nominal", sa.Boolean, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("party_grants")
