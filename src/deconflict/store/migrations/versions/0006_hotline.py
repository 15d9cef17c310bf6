"""Hotline messages between parties, with acknowledgement deadlines.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "hotline_conflicts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("party_a", sa.String(256), nullable=False),
        sa.Column("party_b", sa.String(256), nullable=False),
        sa.Column("subject_a", sa.String(256), nullable=False),
        sa.Column("subject_b", sa.String(256), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_hotline_conflicts_subjects", "hotline_conflicts", ["kind", "subject_a", "subject_b"]
    )
    op.create_table(
        "hotline_messages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("conflict_id", sa.String(64), nullable=True),
        sa.Column("sender", sa.String(256), nullable=False),
        sa.Column("recipient", sa.String(256), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("deadline_us", sa.BigInteger, nullable=False),
        sa.Column("due_us", sa.BigInteger, nullable=True),
        sa.Column("acknowledged_us", sa.BigInteger, nullable=True),
        sa.Column("acknowledged_by", sa.String(256), nullable=True),
        sa.Column("escalated_us", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_hotline_messages_sender", "hotline_messages", ["sender", "created_us"])
    op.create_index(
        "ix_hotline_messages_recipient", "hotline_messages", ["recipient", "created_us"]
    )
    op.create_index("ix_hotline_messages_due", "hotline_messages", ["due_us"])
    op.create_index("ix_hotline_messages_conflict", "hotline_messages", ["conflict_id"])


def downgrade() -> None:
    op.drop_table("hotline_messages")
    op.drop_table("hotline_conflicts")
