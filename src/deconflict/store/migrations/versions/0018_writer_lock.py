"""The table whose lock orders PostgreSQL's write transactions (``schema_writers``).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    op.create_table("writer_lock", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("writer_lock")
