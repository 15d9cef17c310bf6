"""Native constraints as F3548 constraint references: their F3548 ids.

Revision ID: 0015
Revises: 0014
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    refs = op.create_table(
        "native_constraints",
        sa.Column("constraint_id", sa.String(64), primary_key=True),
        sa.Column("reference_id", sa.String(36), nullable=False, unique=True),
        sa.ForeignKeyConstraint(["constraint_id"], ["airspace_constraints.id"], ondelete="CASCADE"),
    )
    assert refs is not None
    conn = op.get_bind()
    # Every native constraint stored so far (those without a DSS row) gets its F3548 id.
    native = conn.execute(
        sa.text(
            "SELECT id FROM airspace_constraints WHERE id NOT IN (SELECT id FROM dss_constraints)"
        )
    ).all()
    if native:
        conn.execute(
            sa.insert(refs),
            [{"constraint_id": r.id, "reference_id": str(uuid.uuid4())} for r in native],
        )


def downgrade() -> None:
    op.drop_table("native_constraints")
