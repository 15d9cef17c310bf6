"""The table whose lock is every PostgreSQL write transaction's turn (architecture
decision 17), on the store's ``metadata``.

It holds no rows: nothing reads or writes it. A write transaction's first statement
is ``LOCK TABLE writer_lock IN EXCLUSIVE MODE`` (``store/sql.py``), so that writers
take turns from before their snapshot, as SQLite's writers do, instead of aborting
each other under SERIALIZABLE. A table rather than an advisory lock because ``LOCK
TABLE`` takes no snapshot, where ``SELECT pg_advisory_xact_lock(...)`` takes one
before it waits and would then miss what the writer before it committed.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, Table

from deconflict.store.schema import metadata

WRITER_LOCK = "writer_lock"

writer_lock = Table(WRITER_LOCK, metadata, Column("id", Integer, primary_key=True))
