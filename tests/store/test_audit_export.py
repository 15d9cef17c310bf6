"""``export``: a party's entries, each with what lets it check them later."""

from __future__ import annotations

import io

import orjson

from deconflict.audit.chain import link_hash, record_is_intact
from deconflict.audit.entry import GENESIS, AuditEntry
from deconflict.store.audit import append_audit, chain_pending, export_subject
from deconflict.store.sql import SqlStore
from tests.audit.helpers import row_hash, stored_leaf, stored_nonce


def _lines(store: SqlStore, party: str) -> list[dict[str, object]]:
    out = io.BytesIO()
    n = export_subject(store, party, out)
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == n
    return lines


def test_export_gives_exactly_the_entries_about_the_party(store: SqlStore) -> None:
    with store.session(write=True) as s:
        append_audit(
            s,
            [
                AuditEntry("change", "alpha", "alpha", "operation", "a1"),
                AuditEntry("disclosure", "beta", "alpha", "operation", "a1", {"as": "reference"}),
                AuditEntry("change", "beta", "beta", "operation", "b1"),
                AuditEntry("disclosure", "alpha", "beta", "operation", "b1"),
            ],
        )
    chain_pending(store)
    lines = _lines(store, "alpha")
    assert [(x["seq"], x["kind"], x["actor"]) for x in lines] == [
        (1, "change", "alpha"),
        (2, "disclosure", "beta"),
    ]


def test_exported_entries_carry_their_leaf_in_the_chain_and_check_against_it(
    store: SqlStore,
) -> None:
    with store.session(write=True) as s:
        append_audit(s, [AuditEntry("change", "alpha", "alpha", "operation", "a1", {"v": 1})])
    chain_pending(store)
    (line,) = _lines(store, "alpha")
    assert line["leaf"] == stored_leaf(store, 1)
    chained = link_hash(line["leaf"], 1, GENESIS, stored_nonce(store, 1))
    assert chained == row_hash(store, 1)  # the leaf is what the global chain links
    assert "hash" not in line  # the global hash would let a party test global positions
    assert record_is_intact(line)


def test_a_party_with_no_entries_gets_an_empty_export(store: SqlStore) -> None:
    assert _lines(store, "nobody") == []
