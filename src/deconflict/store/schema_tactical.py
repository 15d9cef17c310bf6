"""The tactical alerts every replica agrees on (issue 19), on the store's ``metadata``.

Each replica runs the whole live picture (reports reach all of them through
``store/picture_bus.py``), so each detects every conflict. This table makes the events
of one conflict pair go out once: the first replica to announce an alert claims the
pair's open row with its alert id, and the others adopt that id and stay quiet. ``pair``
is a SHA-256 of the two track keys, not the call signs: the table is read by replicas,
never shown, and need-to-know covers the database too.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table

from deconflict.store.schema import metadata

tactical_alerts = Table(
    "tactical_alerts",
    metadata,
    Column("alert_id", BigInteger, primary_key=True, autoincrement=False),
    Column("pair", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("open", Boolean, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Index("ix_tactical_alerts_pair", "pair", "open"),
)
