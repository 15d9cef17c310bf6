"""Each subject's own chain is checked by ``verify`` beside the global one."""

from __future__ import annotations

from deconflict.audit.verify import FaultKind
from deconflict.store.audit import verify_store
from deconflict.store.sql import SqlStore
from tests.audit.helpers import logged, sql


def test_a_party_head_moved_back_is_named(store: SqlStore) -> None:
    logged(store, 3)
    sql(store, "UPDATE audit_party_head SET seq = 2 WHERE subject = 'alpha'")
    fault = verify_store(store).fault
    assert fault is not None and fault.kind == FaultKind.MISSING
    assert "'alpha'" in fault.message


def test_a_party_head_missing_is_named(store: SqlStore) -> None:
    logged(store, 2, subject="beta")
    sql(store, "DELETE FROM audit_party_head")
    fault = verify_store(store).fault
    assert fault is not None and "'beta'" in fault.message


def test_entries_of_many_parties_each_continue_their_own_chain(store: SqlStore) -> None:
    for subject in ("alpha", "beta", "alpha", "gamma", "beta"):
        logged(store, 1, subject=subject)
    verdict = verify_store(store)
    assert verdict.ok
    assert {s: h.seq for s, h in verdict.parties.items()} == {"alpha": 2, "beta": 2, "gamma": 1}
