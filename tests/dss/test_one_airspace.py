"""A USS intent judged against native operations by the native rules, exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from deconflict.core.ports import StoredOperation
from deconflict.dss.native_intents import NativeIdentity, native_ref
from deconflict.dss.one_airspace import check_natives
from deconflict.dss.ports import DssSession
from deconflict.dss.records import IntentRef
from deconflict.errors import Conflict
from deconflict.geo.footprint import Circle
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.settings import EqualPriorityPolicy

T0 = datetime(2030, 7, 1, 10, tzinfo=UTC)
NATIVE_ID = "0f8e5a1c-3b2d-4c6e-9a7b-1d2e3f4a5b6c"
REJECT = EqualPriorityPolicy.REJECT


def volume(lng: float = 7.0, lower: float = 0, upper: float = 120) -> Volume4D:
    return Volume4D(
        Circle(lng, 45.0, 300.0),
        AltitudeBand(lower, upper),
        TimeWindow(T0, T0 + timedelta(hours=1)),
    )


class Natives:
    """The part of a ``DssSession`` the rules ask: every native operation is a candidate."""

    def __init__(self, *ops: Operation) -> None:
        self.pairs = [
            (native_ref(NATIVE_ID, StoredOperation(op, 1, T0, T0), b"k" * 32, NativeIdentity()), op)
            for op in ops
        ]

    def native_candidates(self, _volume: Volume4D) -> list[tuple[IntentRef, Operation]]:
        return self.pairs

    def native_intent(self, intent_id: str) -> tuple[IntentRef, Operation] | None:
        return next((p for p in self.pairs if p[0].id == intent_id), None)


def native(priority: int, state: OperationState = OperationState.ACCEPTED, **kw: Any) -> Operation:
    return Operation("op-native-1", "army-cell", priority, state, (volume(**kw),))


def uss_intent(priority: int, state: OperationState = OperationState.ACCEPTED) -> Operation:
    return Operation("intent", "uss9", priority, state, (volume(),))


def judge(planned: Operation, *ops: Operation, policy: EqualPriorityPolicy = REJECT) -> int:
    return len(check_natives(cast(DssSession, Natives(*ops)), planned, policy))


def test_a_higher_priority_native_operation_refuses_the_intent_naming_the_rule() -> None:
    with pytest.raises(Conflict) as refused:
        judge(uss_intent(0), native(5))
    message = str(refused.value)
    assert f"operational intent {NATIVE_ID} of priority 5" in message
    assert "lower priority" in message and "granted priority 0" in message
    assert "army-cell" not in message and "op-native-1" not in message


def test_equal_priority_is_refused_under_reject() -> None:
    with pytest.raises(Conflict, match="equal priority"):
        judge(uss_intent(2), native(2))


def test_equal_priority_is_allowed_with_notice_when_the_policy_says_so() -> None:
    assert judge(uss_intent(2), native(2), policy=EqualPriorityPolicy.ALLOW_WITH_NOTICE) == 1


def test_a_lower_priority_native_operation_is_overlapped_and_its_party_to_be_told() -> None:
    assert judge(uss_intent(3), native(2)) == 1


def test_a_native_operation_the_intent_does_not_overlap_exactly_is_not_judged() -> None:
    assert judge(uss_intent(0), native(5, lower=500, upper=600)) == 0


def test_an_off_nominal_native_operation_blocks_nothing() -> None:
    assert judge(uss_intent(0), native(5, OperationState.CONTINGENT)) == 1


def test_an_off_nominal_intent_is_not_judged() -> None:
    assert judge(uss_intent(0, OperationState.NONCONFORMING), native(5)) == 0


def test_the_references_the_key_check_found_are_judged_without_a_second_search() -> None:
    natives = Natives(native(5))
    relevant = [ref for ref, _ in natives.pairs]
    with pytest.raises(Conflict, match="lower priority"):
        check_natives(cast(DssSession, natives), uss_intent(0), REJECT, relevant)


def test_only_native_references_among_the_relevant_ones_are_judged() -> None:
    natives = Natives(native(5))
    uss_ref = replace(natives.pairs[0][0], native=False)
    assert check_natives(cast(DssSession, natives), uss_intent(0), REJECT, [uss_ref]) == []
