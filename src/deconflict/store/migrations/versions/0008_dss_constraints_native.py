"""F3548 constraint references stored before they were native constraints join the
planner's view (data only: the tables are unchanged).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    # Imported here: migrations load before the store's modules are otherwise needed.
    from deconflict.store.dss import backfill_constraints

    backfill_constraints(op.get_bind())


def downgrade() -> None:
    # The copies are ordinary native constraints now; leaving them is harmless, and
    # removing them would need to tell them apart from constraints made since.
    pass
