"""Migrations 0005 and 0010 create the audit tables exactly as ``schema_audit`` declares them."""

from __future__ import annotations

import pytest
from sqlalchemy import Table, inspect

from deconflict.audit.entry import GENESIS
from deconflict.store.audit import read_head
from deconflict.store.schema_audit import (
    audit_head,
    audit_log,
    audit_party_head,
    audit_pending,
    audit_refused,
)
from deconflict.store.sql import SqlStore


@pytest.mark.parametrize(
    "table",
    [audit_pending, audit_log, audit_head, audit_party_head, audit_refused],
    ids=lambda t: t.name,
)
def test_migrated_audit_tables_match_the_declared_ones(store: SqlStore, table: Table) -> None:
    found = inspect(store.engine)
    assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}
    indexes = {i["name"]: bool(i["unique"]) for i in found.get_indexes(table.name)}
    assert indexes == {i.name: i.unique for i in table.indexes}


def test_a_new_database_starts_with_an_empty_chain(store: SqlStore) -> None:
    with store.session() as s:
        head = read_head(s.conn)
    assert (head.seq, head.hash) == (0, GENESIS)
