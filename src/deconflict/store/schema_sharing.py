"""The table of sharing agreements between pairs of parties.

One row per unordered pair (``party_a < party_b``), grants as a sorted comma list: the
set is tiny and always read whole, so a child table would only add a join to every
read path.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, Text

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
