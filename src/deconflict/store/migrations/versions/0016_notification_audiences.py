"""Notification audiences: subscriptions told of the same changes share one counter.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    from deconflict.store.dss import audience_key

    audiences = op.create_table(
        "dss_audiences",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("notification_count", sa.BigInteger, nullable=False),
    )
    assert audiences is not None
    op.add_column("dss_subscriptions", sa.Column("audience_id", sa.String(36), nullable=True))
    op.add_column("dss_subscriptions", sa.Column("audience_mark", sa.BigInteger, nullable=True))
    op.create_index("ix_dss_subscriptions_audience", "dss_subscriptions", ["audience_id"])
    conn = op.get_bind()
    # Every subscription joins the audience of its cells and kinds at count 0,
    # so its index stays what it was (notification_index + 0 - 0).
    subs = conn.execute(
        sa.text(
            "SELECT id, notify_for_operational_intents, notify_for_constraints "
            "FROM dss_subscriptions"
        )
    ).all()
    cells: dict[str, list[int]] = {}
    for r in conn.execute(sa.text("SELECT subscription_id, cell FROM subscription_cells")):
        cells.setdefault(r.subscription_id, []).append(int(r.cell))
    made: set[str] = set()
    for s in subs:
        key = audience_key(
            cells.get(s.id, []),
            bool(s.notify_for_operational_intents),
            bool(s.notify_for_constraints),
        )
        if key not in made:
            conn.execute(sa.insert(audiences).values(id=key, notification_count=0))
            made.add(key)
        conn.execute(
            sa.text(
                "UPDATE dss_subscriptions SET audience_id = :a, audience_mark = 0 WHERE id = :i"
            ),
            {"a": key, "i": s.id},
        )


def downgrade() -> None:
    # Fold each subscription's current index back into its own column.
    op.execute(
        "UPDATE dss_subscriptions SET notification_index = notification_index + "
        "COALESCE((SELECT notification_count FROM dss_audiences "
        "WHERE dss_audiences.id = dss_subscriptions.audience_id), 0) "
        "- COALESCE(audience_mark, 0)"
    )
    op.drop_index("ix_dss_subscriptions_audience", "dss_subscriptions")
    with op.batch_alter_table("dss_subscriptions") as batch:
        batch.drop_column("audience_mark")
        batch.drop_column("audience_id")
    op.drop_table("dss_audiences")
