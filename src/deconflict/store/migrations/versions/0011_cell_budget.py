"""Coverings within the cell budget: re-index what was covered past it.

Before the budget every footprint was covered by level-13 cells, however many. Those
rows stay correct (the search matches cells of any level), so nothing else changes; but
a footprint with more than ``CELL_BUDGET`` of them is re-indexed with its covering of
today (coarser cells, at most the budget), which ``db check`` compares against and which
frees the space. Subscriptions keep their cells: they store no footprint to re-cover.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"

_INDEXES = (
    # (cell table, its owner column, the table with the footprints)
    ("volume_cells", "operation_id", "volumes"),
    ("airspace_constraint_cells", "constraint_id", "airspace_constraint_volumes"),
    ("agreed_zone_cells", "zone_id", "agreed_zone_sectors"),
)


def upgrade() -> None:
    from deconflict.geo.covering import CELL_BUDGET, covering
    from deconflict.store.codec import footprint_from_text

    conn = op.get_bind()
    for cells_name, owner, footprints_name in _INDEXES:
        cells = sa.table(
            cells_name, sa.column("cell", sa.BigInteger), sa.column(owner), sa.column("idx")
        )
        footprints = sa.table(
            footprints_name, sa.column(owner), sa.column("idx"), sa.column("footprint")
        )
        over = conn.execute(
            sa.select(cells.c[owner], cells.c.idx)
            .group_by(cells.c[owner], cells.c.idx)
            .having(sa.func.count() > CELL_BUDGET)
        ).all()
        for key, idx in over:
            text = conn.execute(
                sa.select(footprints.c.footprint).where(
                    (footprints.c[owner] == key) & (footprints.c.idx == idx)
                )
            ).scalar_one()
            conn.execute(sa.delete(cells).where((cells.c[owner] == key) & (cells.c.idx == idx)))
            conn.execute(
                sa.insert(cells),
                [{"cell": c, owner: key, "idx": idx} for c in covering(footprint_from_text(text))],
            )


def downgrade() -> None:
    """Refused: older code matches level-13 cells only, so it would miss every overlap
    with a footprint covered by coarser cells since; re-covering those at level 13 is
    the unbounded cost this revision exists to remove. Restore a backup instead."""
    raise NotImplementedError(
        "downgrade below 0011 is not supported: older code searches level-13 cells only"
    )
