"""F3548-21 DSS: intent references, subscriptions, constraints, availability, reports.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "dss_intents",
        sa.Column("operation_id", sa.String(64), primary_key=True),
        sa.Column("ovn", sa.String(128), nullable=False),
        sa.Column("uss_base_url", sa.Text, nullable=False),
        sa.Column("subscription_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_dss_intents_subscription", "dss_intents", ["subscription_id"])
    op.create_table(
        "dss_subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner", sa.String(256), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("notification_index", sa.Integer, nullable=False),
        sa.Column("uss_base_url", sa.Text, nullable=False),
        sa.Column("notify_for_operational_intents", sa.Boolean, nullable=False),
        sa.Column("notify_for_constraints", sa.Boolean, nullable=False),
        sa.Column("implicit", sa.Boolean, nullable=False),
        sa.Column("time_start_us", sa.BigInteger, nullable=False),
        sa.Column("time_end_us", sa.BigInteger, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_dss_subscriptions_owner", "dss_subscriptions", ["owner"])
    op.create_table(
        "subscription_cells",
        sa.Column("cell", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("subscription_id", sa.String(36), primary_key=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["dss_subscriptions.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_subscription_cells_subscription", "subscription_cells", ["subscription_id"])
    op.create_table(
        "dss_constraints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("manager", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ovn", sa.String(128), nullable=False),
        sa.Column("uss_base_url", sa.Text, nullable=False),
        sa.Column("time_start_us", sa.BigInteger, nullable=False),
        sa.Column("time_end_us", sa.BigInteger, nullable=False),
        sa.Column("extents", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_dss_constraints_time", "dss_constraints", ["time_end_us", "time_start_us"])
    op.create_table(
        "constraint_cells",
        sa.Column("cell", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("constraint_id", sa.String(36), primary_key=True),
        sa.ForeignKeyConstraint(["constraint_id"], ["dss_constraints.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_constraint_cells_constraint", "constraint_cells", ["constraint_id"])
    op.create_table(
        "dss_uss_availability",
        sa.Column("uss_id", sa.String(256), primary_key=True),
        sa.Column("availability", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "dss_reports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reporter", sa.String(256), nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dss_reports")
    op.drop_table("dss_uss_availability")
    op.drop_table("constraint_cells")
    op.drop_table("dss_constraints")
    op.drop_table("subscription_cells")
    op.drop_table("dss_subscriptions")
    op.drop_table("dss_intents")
