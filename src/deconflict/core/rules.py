"""Which overlaps are allowed: the F3548 priority rules plus our equal-priority policy.

Strategic deconfliction protects *nominal* operations (Accepted, Activated) from each
other. An operation being planned may not overlap a nominal operation of higher priority;
it may overlap a lower-priority one (whose party is then told); equal priority follows
the configured policy. Off-nominal operations (Nonconforming, Contingent) block nothing
and are blocked by nothing, since they are already failing their plan, but every overlap
with them is still reported so both sides know. Ended operations take no part.
"""

from __future__ import annotations

from enum import StrEnum

from deconflict.equal_priority import EqualPriorityPolicy
from deconflict.model.operation import Operation


class Verdict(StrEnum):
    BLOCKING = "blocking"
    """The planned operation may not be accepted while this overlap stands."""
    NOTICE = "notice"
    """Allowed, but the parties must be told."""


class Reason(StrEnum):
    LOWER_PRIORITY = "lower_priority"
    """The planned operation has lower priority than the one it overlaps."""
    HIGHER_PRIORITY = "higher_priority"
    """The planned operation has higher priority: it may overlap, the other party is told."""
    EQUAL_PRIORITY = "equal_priority"
    OFF_NOMINAL = "off_nominal"
    """One side is Nonconforming or Contingent."""


def judge(
    planned: Operation, existing: Operation, policy: EqualPriorityPolicy
) -> tuple[Verdict, Reason]:
    """The verdict on an overlap between an operation being planned and a stored one."""
    if not (planned.state.is_nominal and existing.state.is_nominal):
        return Verdict.NOTICE, Reason.OFF_NOMINAL
    if planned.priority < existing.priority:
        return Verdict.BLOCKING, Reason.LOWER_PRIORITY
    if planned.priority > existing.priority:
        return Verdict.NOTICE, Reason.HIGHER_PRIORITY
    if policy is EqualPriorityPolicy.ALLOW_WITH_NOTICE:
        return Verdict.NOTICE, Reason.EQUAL_PRIORITY
    return Verdict.BLOCKING, Reason.EQUAL_PRIORITY


def judge_pair(a: Operation, b: Operation, policy: EqualPriorityPolicy) -> tuple[Verdict, Reason]:
    """The verdict on an overlap inside one plan, where neither side came first.

    A plan may hold both operations when some order of planning them accepts both: a
    higher-priority operation may overlap a lower one (the lower one's party is told),
    whichever is filed first. So the pair takes the more permissive of the two verdicts.
    """
    first = judge(a, b, policy)
    second = judge(b, a, policy)
    if first[0] is Verdict.NOTICE:
        return first
    return second
