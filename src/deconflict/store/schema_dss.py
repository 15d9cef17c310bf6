"""Tables of the F3548-21 DSS, on the same ``metadata`` as the operations they extend.

An operational intent reference *is* an operation (``operations`` + ``volumes`` +
``volume_cells``): the native planner and the DSS then see one airspace and share one
cell index. ``dss_intents`` only adds what F3548 needs beyond an operation (the OVN, the
USS base URL, the attached subscription), and is deleted with its operation.

Subscriptions and constraints carry their own cell tables: subscriptions are looked up
*by area* on every change (to find whom to notify), and neither occupies airspace in
the sense the planner protects, so they do not belong in ``operations``.

Times are integer microseconds since the epoch, as in ``schema.py``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from deconflict.store.schema import area_cells, metadata, stamps, window

dss_intents = Table(
    "dss_intents",
    metadata,
    Column("operation_id", String(64), primary_key=True),
    Column("ovn", String(128), nullable=False),
    Column("uss_base_url", Text, nullable=False),
    Column("subscription_id", String(36), nullable=True),
    ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
    Index("ix_dss_intents_subscription", "subscription_id"),
)

dss_subscriptions = Table(
    "dss_subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(256), nullable=False),
    Column("version", String(64), nullable=False),
    Column("notification_index", Integer, nullable=False),
    Column("uss_base_url", Text, nullable=False),
    Column("notify_for_operational_intents", Boolean, nullable=False),
    Column("notify_for_constraints", Boolean, nullable=False),
    Column("implicit", Boolean, nullable=False),
    *window(),
    *stamps(),
    # The audience whose counter the subscription's index follows, and that counter's
    # value when the subscription joined it with ``notification_index`` (see below).
    Column("audience_id", String(36), nullable=True),
    Column("audience_mark", BigInteger, nullable=True),
    Index("ix_dss_subscriptions_owner", "owner"),
    Index("ix_dss_subscriptions_audience", "audience_id"),
)
"""A subscription's current notification index is ``notification_index +
dss_audiences.notification_count - audience_mark``: what it had when it joined its
audience plus the changes told to that audience since."""

dss_audiences = Table(
    "dss_audiences",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("notification_count", BigInteger, nullable=False),
)
"""Subscriptions over the same cells asking for the same kinds of change share one
counter, so a change touching a thousand such subscriptions writes one row, not a
thousand; a member whose time window a change misses leaves first, for an audience of
its own named by its id (docs/architecture.md)."""

subscription_cells = area_cells("subscription_cells", "subscription_id", "dss_subscriptions")

dss_constraints = Table(
    "dss_constraints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("manager", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("ovn", String(128), nullable=False),
    Column("uss_base_url", Text, nullable=False),
    *window(),
    Column("extents", Text, nullable=False),
    *stamps(),
    Index("ix_dss_constraints_time", "time_end_us", "time_start_us"),
)

constraint_cells = area_cells("constraint_cells", "constraint_id", "dss_constraints")

dss_uss_availability = Table(
    "dss_uss_availability",
    metadata,
    Column("uss_id", String(256), primary_key=True),
    Column("availability", String(16), nullable=False),
    Column("version", String(64), nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)

dss_reports = Table(
    "dss_reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reporter", String(256), nullable=False),
    Column("report", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)

native_intents = Table(
    "native_intents",
    metadata,
    Column("operation_id", String(64), primary_key=True),
    # The F3548 id USSs know a native operation by: a random UUIDv4, so that neither
    # the party's own id (which may name it) nor anything derived from it leaves.
    Column("intent_id", String(36), nullable=False, unique=True),
    ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
)
"""The F3548 identity of each native operation (DSS intents have none: their id is it)."""

native_constraints = Table(
    "native_constraints",
    metadata,
    Column("constraint_id", String(64), primary_key=True),
    # The F3548 id USSs know a native constraint by: random, as a native operation's.
    Column("reference_id", String(36), nullable=False, unique=True),
    ForeignKeyConstraint(["constraint_id"], ["airspace_constraints.id"], ondelete="CASCADE"),
)
"""The F3548 identity of each native constraint (those a USS manages have none: their
``dss_constraints`` id is it); only restricted and no-fly ones are shown to USSs."""

service_secrets = Table(
    "service_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("secret", LargeBinary, nullable=False),
)
"""Secrets every replica of the service must share, made once by the migration that
needs them (``NATIVE_OVN_SECRET``: the key native operations' OVNs are derived under)."""

NATIVE_OVN_SECRET = "native_ovn"
