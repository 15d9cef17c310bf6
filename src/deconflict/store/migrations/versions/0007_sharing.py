"""Sharing agreements between pairs of parties (need-to-know disclosure).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "sharing_agreements",
        sa.Column("party_a", sa.String(256), primary_key=True),
        sa.Column("party_b", sa.String(256), primary_key=True),
        sa.Column("grants", sa.Text, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sharing_agreements")
