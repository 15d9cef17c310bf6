"""Tables of durable notifications, on the same ``metadata`` as the rest of the store.

``notify_outbox`` holds F3548 USS notifications. A row is written in the transaction of
the change it reports (so a change is never committed without its notification, nor a
notification sent for a change that rolled back) and removed from the queue only by
the delivery worker. ``channel`` is the receiver's ``uss_base_url``: the worker sends a
channel's rows strictly in ``id`` order, which keeps F3548's per-subscription order
(every subscription has exactly one base URL). ``lease_*`` lets several workers share
one database without sending a row twice at the same time.

``party_events`` is the per-party event log behind ``/v1/events`` and ``/v1/stream``.
Its key is ``(party, seq)`` with ``seq`` drawn from ``party_event_heads`` in the same
transaction: the counter row serialises writers of one party, so a party's events
commit in ``seq`` order and a reader resuming after ``seq`` can never skip one that
commits late (which a global autoincrement id would allow on PostgreSQL).

Times are integer microseconds since the epoch, as in ``schema.py``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from deconflict.store.schema import metadata

# SQLite only auto-assigns INTEGER PRIMARY KEY columns, not BIGINT ones.
OutboxId = BigInteger().with_variant(Integer(), "sqlite")

notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", OutboxId, primary_key=True, autoincrement=True),
    Column("channel", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until_us", BigInteger, nullable=True),
    Column("finished_us", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_notify_outbox_queue", "status", "channel", "id"),
    Index("ix_notify_outbox_finished", "status", "finished_us"),
)

party_event_heads = Table(
    "party_event_heads",
    metadata,
    Column("party", String(256), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

party_events = Table(
    "party_events",
    metadata,
    Column("party", String(256), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_party_events_created", "created_us"),
)
