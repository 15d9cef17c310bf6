"""Tables of the audit log, on the same ``metadata`` as the rest of the store.

``audit_pending`` receives entries inside the transaction of whatever they record:
plain inserts that read nothing, so writers far apart never conflict over the log.
The chainer moves them, in ``id`` order, into ``audit_log`` with a ``seq``, the
previous entry's hash and their own, and advances ``audit_head`` (one row, ``id`` 1)
in the same transaction. The head row is what two chainers contend on, so the chain
cannot fork; it also records where the chain ends, so entries cut off the end are
noticed. ``audit_log`` is only ever inserted into.

Times are integer microseconds since the epoch, as in ``schema.py``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from deconflict.audit.entry import MAX_KIND, MAX_OBJECT_ID, MAX_OBJECT_KIND, MAX_PARTY
from deconflict.store.schema import metadata

# SQLite only auto-assigns INTEGER PRIMARY KEY columns, not BIGINT ones.
PendingId = BigInteger().with_variant(Integer(), "sqlite")

HEAD_ID = 1

audit_pending = Table(
    "audit_pending",
    metadata,
    Column("id", PendingId, primary_key=True, autoincrement=True),
    Column("at_us", BigInteger, nullable=False),
    Column("kind", String(MAX_KIND), nullable=False),
    Column("actor", String(MAX_PARTY), nullable=False),
    Column("subject", String(MAX_PARTY), nullable=False),
    Column("object_kind", String(MAX_OBJECT_KIND), nullable=False),
    Column("object_id", String(MAX_OBJECT_ID), nullable=False),
    Column("detail", Text, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at_us", BigInteger, nullable=False),
    Column("kind", String(MAX_KIND), nullable=False),
    Column("actor", String(MAX_PARTY), nullable=False),
    Column("subject", String(MAX_PARTY), nullable=False),
    Column("object_kind", String(MAX_OBJECT_KIND), nullable=False),
    Column("object_id", String(MAX_OBJECT_ID), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_subject", "subject", "seq"),
    Index("ix_audit_log_hash", "hash", unique=True),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
