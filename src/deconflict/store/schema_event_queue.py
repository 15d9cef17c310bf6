"""Party events waiting for their ``seq``, on the same ``metadata`` as the rest of the store.

On PostgreSQL a change's transaction only inserts its party events here: a plain
insert that reads no shared row, so writers of one party (a USS placing many
operations at once, far apart) never abort each other over a counter. Right after the
commit, in a READ COMMITTED transaction of its own, the writer moves them into
``party_events`` with the next ``seq`` of their party, holding the party's
``party_event_heads`` row lock (``store/outbox.py``, ``sequence_events``): sequencers
of one party queue on that lock instead of aborting, and commit in ``seq`` order, so
a reader still never sees a later event without the earlier ones. Readers sequence
leftovers too (a writer that crashed between its commit and the move).

SQLite, with one writer at a time, assigns ``seq`` in the change's transaction and
leaves this table empty.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from deconflict.store.schema import metadata

QueueId = BigInteger().with_variant(Integer(), "sqlite")

party_events_pending = Table(
    "party_events_pending",
    metadata,
    Column("id", QueueId, primary_key=True, autoincrement=True),
    Column("party", String(256), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_party_events_pending_party", "party", "id"),
)
