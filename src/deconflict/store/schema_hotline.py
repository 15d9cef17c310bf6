"""Tables of the hotline, on the same ``metadata`` as the rest of the store.

``hotline_conflicts`` gives each conflict an opaque id that both sides see in their
notices or alerts, and remembers the two parties behind it: the service resolves "the
other side" of a conflict message, so the sender never needs (or learns) its name.
``kind`` plus the two subjects (operation or track ids, in the order of the parties)
find the id again when the same pair conflicts again, so one pair keeps one id.

``hotline_messages.due_us`` is the deadline while the message waits for its
acknowledgement and NULL once it is acknowledged or escalated: the escalator's search
is then a range scan of an index that holds only what is still due (other engines'
partial indexes are not portable; this is).

Times are integer microseconds since the epoch, as in ``schema.py``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from deconflict.store.schema import metadata

hotline_conflicts = Table(
    "hotline_conflicts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("party_a", String(256), nullable=False),
    Column("party_b", String(256), nullable=False),
    Column("subject_a", String(256), nullable=False),
    Column("subject_b", String(256), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Index("ix_hotline_conflicts_subjects", "kind", "subject_a", "subject_b"),
)

hotline_messages = Table(
    "hotline_messages",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("conflict_id", String(64), nullable=True),
    Column("sender", String(256), nullable=False),
    Column("recipient", String(256), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("deadline_us", BigInteger, nullable=False),
    Column("due_us", BigInteger, nullable=True),
    Column("acknowledged_us", BigInteger, nullable=True),
    Column("acknowledged_by", String(256), nullable=True),
    Column("escalated_us", BigInteger, nullable=True),
    Index("ix_hotline_messages_sender", "sender", "created_us"),
    Index("ix_hotline_messages_recipient", "recipient", "created_us"),
    Index("ix_hotline_messages_due", "due_us"),
    Index("ix_hotline_messages_conflict", "conflict_id"),
)
