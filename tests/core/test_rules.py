"""The priority rules of F3548 and the equal-priority policy."""

from __future__ import annotations

from deconflict.core.rules import Reason, Verdict, judge, judge_pair
from deconflict.model.operation import OperationState
from deconflict.settings import EqualPriorityPolicy

from .factories import operation, square, volume

V = volume(square(0.0, 0.0))
REJECT = EqualPriorityPolicy.REJECT
ALLOW = EqualPriorityPolicy.ALLOW_WITH_NOTICE


def test_lower_priority_may_not_overlap_higher() -> None:
    assert judge(operation("a", V, priority=0), operation("b", V, priority=5), REJECT) == (
        Verdict.BLOCKING,
        Reason.LOWER_PRIORITY,
    )


def test_higher_priority_may_overlap_lower_with_a_notice() -> None:
    assert judge(operation("a", V, priority=5), operation("b", V, priority=0), REJECT) == (
        Verdict.NOTICE,
        Reason.HIGHER_PRIORITY,
    )


def test_equal_priority_is_rejected_by_default() -> None:
    assert judge(operation("a", V), operation("b", V), REJECT)[0] is Verdict.BLOCKING


def test_equal_priority_is_allowed_with_notice_when_configured() -> None:
    assert judge(operation("a", V), operation("b", V), ALLOW) == (
        Verdict.NOTICE,
        Reason.EQUAL_PRIORITY,
    )


def test_off_nominal_operations_neither_block_nor_are_blocked() -> None:
    sick = operation("b", V, priority=9, state=OperationState.CONTINGENT)
    assert judge(operation("a", V), sick, REJECT) == (Verdict.NOTICE, Reason.OFF_NOMINAL)
    assert judge(sick, operation("a", V, priority=99), REJECT)[0] is Verdict.NOTICE


def test_activated_counts_like_accepted() -> None:
    flying = operation("b", V, state=OperationState.ACTIVATED)
    assert judge(operation("a", V), flying, REJECT)[0] is Verdict.BLOCKING


def test_in_one_plan_a_higher_priority_overlap_is_allowed_with_a_notice_either_way() -> None:
    high, low = operation("a", V, priority=5), operation("b", V)
    assert judge_pair(high, low, REJECT) == (Verdict.NOTICE, Reason.HIGHER_PRIORITY)
    assert judge_pair(low, high, REJECT) == (Verdict.NOTICE, Reason.HIGHER_PRIORITY)


def test_in_one_plan_equal_priority_follows_the_policy() -> None:
    assert judge_pair(operation("a", V), operation("b", V), REJECT)[0] is Verdict.BLOCKING
    assert judge_pair(operation("a", V), operation("b", V), ALLOW)[0] is Verdict.NOTICE
