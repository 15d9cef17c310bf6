"""Audit entries get salts, seals and per-subject chains; refused rows are kept apart.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.add_column("audit_pending", sa.Column("salt", sa.String(32), nullable=True))
    op.add_column("audit_pending", sa.Column("seal", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("salt", sa.String(32), nullable=True))
    op.add_column("audit_log", sa.Column("party_seq", sa.BigInteger, nullable=True))
    op.add_column("audit_log", sa.Column("party_prev", sa.String(64), nullable=True))
    op.create_table(
        "audit_party_head",
        sa.Column("subject", sa.String(256), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("leaf", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_refused",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("object_kind", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(256), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("salt", sa.String(32), nullable=True),
        sa.Column("seal", sa.String(64), nullable=True),
        sa.Column("refused_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_refused")
    op.drop_table("audit_party_head")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("party_prev")
        batch.drop_column("party_seq")
        batch.drop_column("salt")
    with op.batch_alter_table("audit_pending") as batch:
        batch.drop_column("seal")
        batch.drop_column("salt")
