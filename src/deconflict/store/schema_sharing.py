"""The tables of sharing agreements between pairs of parties, and of party grants.

Agreements: one row per unordered pair (``party_a < party_b``), grants as a sorted comma
list: the set is tiny and always read whole, so a child table would only add a join to
every read path. Grants: one row per party whose grant differs from the defaults.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, String, Table, Text

from deconflict.store.schema import metadata

sharing_agreements = Table(
    "sharing_agreements",
    metadata,
    Column("party_a", String(256), primary_key=True),
    Column("party_b", String(256), primary_key=True),
    Column("grants", Text, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("updated_by", String(256), nullable=False),
)

party_grants = Table(
    "party_grants",
    metadata,
    Column("party", String(256), primary_key=True),
    Column("priority_min", BigInteger, nullable=False),
    Column("priority_max", BigInteger, nullable=False),
    Column("off_nominal", Boolean, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("updated_by", String(256), nullable=False),
)
"""The operator's grant to each party (``access.grants``); a party without a row has
the defaults."""
