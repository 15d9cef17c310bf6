"""The strategic engine against a real store: rules applied, nothing half-written."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from deconflict.core.engine import StrategicEngine
from deconflict.core.rules import Reason, Verdict
from deconflict.errors import StaleVersion
from deconflict.model.operation import OperationState
from deconflict.settings import EqualPriorityPolicy
from deconflict.store.sql import SqlStore

from .factories import operation, square, volume

REJECT = EqualPriorityPolicy.REJECT


def test_a_free_operation_is_accepted_and_stored(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    decision = engine.submit(operation("a", volume(square(0, 0))))
    assert decision.accepted and decision.conflicts == []
    assert decision.stored is not None and decision.stored.version == 1


def test_an_equal_priority_overlap_is_rejected_and_nothing_is_written(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    engine.submit(operation("a", volume(square(0, 0)), party="alpha"))
    decision = engine.submit(operation("b", volume(square(0.005, 0.005)), party="beta"))
    assert not decision.accepted
    [conflict] = decision.blocking
    assert conflict.b.id == "a" and conflict.reason is Reason.EQUAL_PRIORITY
    with store.session() as s:
        assert s.get("b") is None


def test_a_higher_priority_overlap_is_accepted_with_a_notice(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    engine.submit(operation("a", volume(square(0, 0)), party="alpha"))
    decision = engine.submit(operation("b", volume(square(0, 0)), party="beta", priority=10))
    assert decision.accepted
    assert [c.verdict for c in decision.notices] == [Verdict.NOTICE]


def test_equal_priority_overlap_is_accepted_under_allow_with_notice(store: SqlStore) -> None:
    engine = StrategicEngine(store, EqualPriorityPolicy.ALLOW_WITH_NOTICE)
    engine.submit(operation("a", volume(square(0, 0))))
    assert engine.submit(operation("b", volume(square(0, 0)))).accepted


def test_a_dry_run_writes_nothing(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    assert engine.check(operation("a", volume(square(0, 0)))).accepted
    with store.session() as s:
        assert s.get("a") is None


def test_an_operation_does_not_conflict_with_its_own_previous_version(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    engine.submit(operation("a", volume(square(0, 0))))
    assert engine.submit(operation("a", volume(square(0.001, 0)))).accepted


def test_a_stale_version_is_refused(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    engine.submit(operation("a", volume(square(0, 0))), expected_version=0)
    with pytest.raises(StaleVersion):
        engine.submit(operation("a", volume(square(0, 0))), expected_version=0)
    assert engine.submit(operation("a", volume(square(0, 0))), expected_version=1).accepted


def test_ending_an_operation_frees_its_airspace(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    engine.submit(operation("a", volume(square(0, 0))))
    engine.set_state("a", OperationState.ENDED)
    assert engine.submit(operation("b", volume(square(0, 0)))).accepted


def test_concurrent_overlapping_submissions_accept_exactly_one(store: SqlStore) -> None:
    engine = StrategicEngine(store, REJECT)
    ops = [operation(f"op{i}", volume(square(0, 0)), party=f"p{i}") for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(engine.submit, ops))
    assert sum(d.accepted for d in decisions) == 1
    with store.session() as s:
        assert len(s.candidates(volume(square(0, 0)))) == 1
