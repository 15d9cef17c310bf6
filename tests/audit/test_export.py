"""``export``: a party's entries, each with what lets it check them later."""

from __future__ import annotations

import io

import orjson

from deconflict.audit.chain import record_is_intact
from deconflict.audit.entry import AuditEntry
from deconflict.store.audit import append_audit, chain_pending, export_subject
from deconflict.store.sql import SqlStore

from .helpers import row_hash


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


def test_exported_entries_carry_the_chain_hashes_and_check_against_them(store: SqlStore) -> None:
    with store.session(write=True) as s:
        append_audit(s, [AuditEntry("change", "alpha", "alpha", "operation", "a1", {"v": 1})])
    chain_pending(store)
    (line,) = _lines(store, "alpha")
    assert line["hash"] == row_hash(store, 1)
    assert record_is_intact(line)


def test_a_party_with_no_entries_gets_an_empty_export(store: SqlStore) -> None:
    assert _lines(store, "nobody") == []
