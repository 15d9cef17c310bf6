"""``verify`` finds the first entry that was edited, deleted, inserted or moved."""

from __future__ import annotations

import dataclasses

import pytest

from deconflict.audit.entry import AuditEntry
from deconflict.audit.verify import FaultKind
from deconflict.store.audit import append_audit, chain_pending, count_pending, verify_store
from deconflict.store.sql import SqlStore

from .helpers import entry, forge, head_seq, logged, row_hash, sql


def fault_of(store: SqlStore) -> tuple[FaultKind, int] | None:
    """``(kind, seq)`` of the first fault ``verify_store`` names, None when sound."""
    fault = verify_store(store).fault
    return (fault.kind, fault.seq) if fault is not None else None


def test_an_untouched_log_verifies_and_ends_at_the_last_entry(store: SqlStore) -> None:
    logged(store, 5)
    verdict = verify_store(store)
    assert verdict.ok
    assert verdict.checked == 5
    assert verdict.head.hash == row_hash(store, 5)


def test_an_empty_log_verifies(store: SqlStore) -> None:
    verdict = verify_store(store)
    assert verdict.ok and verdict.checked == 0


def test_appended_entries_wait_as_pending_until_chained(store: SqlStore) -> None:
    with store.session(write=True) as s:
        append_audit(s, [entry(1), entry(2)])
    with store.session() as s:
        assert count_pending(s.conn) == 2
    assert verify_store(store).checked == 0
    assert chain_pending(store) == 2
    assert verify_store(store).checked == 2


def test_entries_of_a_rolled_back_transaction_are_never_logged(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.session(write=True) as s:
        append_audit(s, [entry(1)])
        raise RuntimeError("the change failed")
    assert chain_pending(store) == 0


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE audit_log SET detail = '{\"n\": 99}' WHERE seq = 3",
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
        "UPDATE audit_log SET at_us = at_us + 1 WHERE seq = 3",
    ],
)
def test_an_edited_entry_is_named(store: SqlStore, edit: str) -> None:
    logged(store, 5)
    sql(store, edit)
    assert fault_of(store) == (FaultKind.ALTERED, 3)


def test_an_entry_rewritten_with_a_fresh_hash_is_named(store: SqlStore) -> None:
    logged(store, 5)
    prev = row_hash(store, 2)
    sql(store, "DELETE FROM audit_log WHERE seq = 3")
    forge(store, 3, prev, entry(3, actor="mallory"))
    assert fault_of(store) == (FaultKind.ALTERED, 3)


def test_a_deleted_entry_is_named(store: SqlStore) -> None:
    logged(store, 5)
    sql(store, "DELETE FROM audit_log WHERE seq = 3")
    assert fault_of(store) == (FaultKind.MISSING, 3)


def test_entries_cut_off_the_end_are_named(store: SqlStore) -> None:
    logged(store, 5)
    sql(store, "DELETE FROM audit_log WHERE seq >= 4")
    assert fault_of(store) == (FaultKind.MISSING, 4)


def test_a_swapped_pair_is_named_at_its_first_entry(store: SqlStore) -> None:
    logged(store, 5)
    sql(store, "UPDATE audit_log SET seq = -1 WHERE seq = 2")
    sql(store, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
    sql(store, "UPDATE audit_log SET seq = 3 WHERE seq = -1")
    assert fault_of(store) == (FaultKind.REORDERED, 2)


def test_an_entry_inserted_in_the_middle_is_named(store: SqlStore) -> None:
    logged(store, 5)
    prev = row_hash(store, 2)
    sql(store, "UPDATE audit_log SET seq = -seq WHERE seq >= 3")
    sql(store, "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
    forge(store, 3, prev, entry(99, actor="mallory"))
    assert fault_of(store) == (FaultKind.INSERTED, 3)


def test_an_entry_added_past_the_head_is_named(store: SqlStore) -> None:
    logged(store, 3)
    forge(store, 4, row_hash(store, 3), entry(4))
    assert fault_of(store) == (FaultKind.INSERTED, 4)


def test_the_first_of_several_faults_is_the_one_named(store: SqlStore) -> None:
    logged(store, 6)
    sql(store, "DELETE FROM audit_log WHERE seq = 5")
    sql(store, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    fault = verify_store(store).fault
    assert fault is not None
    assert fault.seq == 2


def test_chaining_continues_the_chain_after_earlier_entries(store: SqlStore) -> None:
    logged(store, 2)
    logged(store, 2)
    assert head_seq(store) == 4
    assert verify_store(store).ok


def test_detail_round_trips_through_the_log(store: SqlStore) -> None:
    e = dataclasses.replace(entry(1), detail={"nested": {"b": [1, 2.5, None], "a": "é"}})
    with store.session(write=True) as s:
        append_audit(s, [e, AuditEntry("auth_failure", "anonymous", "", "endpoint", "/v1/x")])
    chain_pending(store)
    assert verify_store(store).ok
