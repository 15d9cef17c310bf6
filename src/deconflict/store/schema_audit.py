"""Tables of the audit log, on the same ``metadata`` as the rest of the store.

``audit_pending`` receives entries inside the transaction of whatever they record:
plain inserts that read nothing, so writers far apart never conflict over the log.
The chainer moves them, in ``id`` order, into ``audit_log`` with a ``seq``, the
previous entry's hash and their own, and advances ``audit_head`` (one row, ``id`` 1)
in the same transaction. The head row is what two chainers contend on, so the chain
cannot fork; it also records where the chain ends, so entries cut off the end are
noticed. ``audit_log`` is only ever inserted into.

Since migration 0010 an entry also carries a ``salt`` (pending and chained), a pending
one the service's ``seal``, and a chained one its place in its subject's own chain
(``party_seq``, ``party_prev``) and, since 0013, the secret ``nonce`` of its global
link; ``audit_party_head`` holds the end of each subject's
chain, as ``audit_head`` holds the global one. Pending rows the chainer refuses (no
valid seal: not appended by the service) go to ``audit_refused``, kept as evidence and
reported by ``verify``, never chained.

Times are integer microseconds since the epoch, as in ``schema.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from deconflict.audit.entry import MAX_KIND, MAX_OBJECT_ID, MAX_OBJECT_KIND, MAX_PARTY
from deconflict.store.schema import metadata

# SQLite only auto-assigns INTEGER PRIMARY KEY columns, not BIGINT ones.
PendingId = BigInteger().with_variant(Integer(), "sqlite")

HEAD_ID = 1


def _entry() -> list[Column[Any]]:
    """The columns of what an entry says, the same in every table that holds entries
    (each table needs Column objects of its own)."""
    return [
        Column("at_us", BigInteger, nullable=False),
        Column("kind", String(MAX_KIND), nullable=False),
        Column("actor", String(MAX_PARTY), nullable=False),
        Column("subject", String(MAX_PARTY), nullable=False),
        Column("object_kind", String(MAX_OBJECT_KIND), nullable=False),
        Column("object_id", String(MAX_OBJECT_ID), nullable=False),
        Column("detail", Text, nullable=False),
    ]


def _sealed_entry() -> list[Column[Any]]:
    """The columns of an appended entry as its writer sealed it: a pending row, and a
    refused one kept as it was found."""
    return [
        *_entry(),
        Column("salt", String(32), nullable=True),
        Column("seal", String(64), nullable=True),
    ]


audit_pending = Table(
    "audit_pending",
    metadata,
    Column("id", PendingId, primary_key=True, autoincrement=True),
    *_sealed_entry(),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    *_entry(),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("salt", String(32), nullable=True),
    Column("party_seq", BigInteger, nullable=True),
    Column("party_prev", String(64), nullable=True),
    Column("nonce", String(32), nullable=True),
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

audit_party_head = Table(
    "audit_party_head",
    metadata,
    Column("subject", String(MAX_PARTY), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("leaf", String(64), nullable=False),
)

audit_refused = Table(
    "audit_refused",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    *_sealed_entry(),
    Column("refused_us", BigInteger, nullable=False),
)
