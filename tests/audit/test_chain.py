"""The hash: what it covers, and that an exported record carries what checks it."""

from __future__ import annotations

import dataclasses

import pytest

from deconflict.audit.chain import entry_hash, export_record, link, record_is_intact
from deconflict.audit.entry import GENESIS, AuditEntry, ChainHead, PendingEntry

BASE = AuditEntry("disclosure", "beta", "alpha", "operation", "op1", {"fields": ["extent"]})


@pytest.mark.parametrize(
    "changed",
    [
        dataclasses.replace(BASE, kind="change"),
        dataclasses.replace(BASE, actor="gamma"),
        dataclasses.replace(BASE, subject="gamma"),
        dataclasses.replace(BASE, object_kind="constraint"),
        dataclasses.replace(BASE, object_id="op2"),
        dataclasses.replace(BASE, detail={"fields": ["extent", "callsign"]}),
    ],
)
def test_the_hash_covers_every_field_of_the_entry(changed: AuditEntry) -> None:
    assert entry_hash(changed, 1, 1, GENESIS) != entry_hash(BASE, 1, 1, GENESIS)


def test_the_hash_covers_time_seq_and_the_previous_hash() -> None:
    h = entry_hash(BASE, 1, 1, GENESIS)
    assert entry_hash(BASE, 2, 1, GENESIS) != h
    assert entry_hash(BASE, 1, 2, GENESIS) != h
    assert entry_hash(BASE, 1, 1, "1" * 64) != h


def test_the_hash_does_not_depend_on_the_order_of_detail_keys() -> None:
    a = dataclasses.replace(BASE, detail={"x": 1, "y": {"b": 2, "a": 1}})
    b = dataclasses.replace(BASE, detail={"y": {"a": 1, "b": 2}, "x": 1})
    assert entry_hash(a, 1, 1, GENESIS) == entry_hash(b, 1, 1, GENESIS)


def test_linking_continues_from_the_head_and_each_entry_holds_the_previous_hash() -> None:
    head = ChainHead(7, "a" * 64)
    chained = link(head, [PendingEntry(10, 5, BASE), PendingEntry(11, 6, BASE)])
    assert [c.seq for c in chained] == [8, 9]
    assert chained[0].prev_hash == head.hash
    assert chained[1].prev_hash == chained[0].hash


def test_an_exported_record_checks_against_its_own_hash() -> None:
    (c,) = link(ChainHead(0, GENESIS), [PendingEntry(1, 1_700_000_000_000_000, BASE)])
    record = export_record(c)
    assert record_is_intact(record)
    assert not record_is_intact({**record, "actor": "gamma"})


def test_an_entry_refuses_values_longer_than_the_store_keeps() -> None:
    with pytest.raises(ValueError, match="object_id"):
        AuditEntry("change", "alpha", "alpha", "operation", "x" * 257)
