"""Native operations as F3548 operational intent references: their F3548 ids, and the
secret their OVNs are derived under (one per database, so every replica agrees).

Revision ID: 0014
Revises: 0013
"""

import os
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    intents = op.create_table(
        "native_intents",
        sa.Column("operation_id", sa.String(64), primary_key=True),
        sa.Column("intent_id", sa.String(36), nullable=False, unique=True),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
    )
    secrets = op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("secret", sa.LargeBinary, nullable=False),
    )
    assert intents is not None and secrets is not None
    conn = op.get_bind()
    conn.execute(sa.insert(secrets).values(name="native_ovn", secret=os.urandom(32)))
    # Every native operation stored so far (those without a DSS row) gets its F3548 id.
    native = conn.execute(
        sa.text("SELECT id FROM operations WHERE id NOT IN (SELECT operation_id FROM dss_intents)")
    ).all()
    if native:
        conn.execute(
            sa.insert(intents),
            [{"operation_id": r.id, "intent_id": str(uuid.uuid4())} for r in native],
        )


def downgrade() -> None:
    op.drop_table("service_secrets")
    op.drop_table("native_intents")
