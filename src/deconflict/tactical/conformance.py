"""Conformance monitoring: one pure state machine per operation.

Input is a stream of ``(time, inside)`` observations: whether the operation's aircraft
was inside the operation's volumes at that time. The geometry (which volumes are active
at that time, with what tolerance) stays outside this module: ``Monitor`` takes a
containment callable, so the machine can be tested, replayed and reasoned about alone.

Rules (F3548 vocabulary):

- Outside for longer than ``nonconforming_after_s`` -> **nonconforming**. Shorter
  excursions (a gust, a late report) do not change anything.
- Still outside ``contingent_after_s`` after that -> **contingent**. Both deadlines are
  measured from the first observation outside, so one late report after a long gap
  can pass both, and the machine then reports both transitions in order.
- Back inside -> **conforming** again (recovery), from either state.

Time only moves with observations or ``tick`` (for "no report yet, still outside" checks);
an observation older than the last one is ignored, because reports can arrive out of
order and an old report must not undo what a newer one established.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from deconflict.errors import InvalidInput

P = TypeVar("P")


class ConformanceState(StrEnum):
    CONFORMING = "conforming"
    NONCONFORMING = "nonconforming"
    CONTINGENT = "contingent"


@dataclass(frozen=True, slots=True)
class ConformanceThresholds:
    """How long an aircraft may be outside before each escalation."""

    nonconforming_after_s: float = 10.0
    contingent_after_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("nonconforming_after_s", "contingent_after_s"):
            if not getattr(self, name) >= 0:
                raise InvalidInput(name, "must be at least 0")


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of state, with the time it was established."""

    before: ConformanceState
    after: ConformanceState
    at_s: float


class ConformanceMachine:
    """The state of one operation; feed it observations in time order."""

    def __init__(self, thresholds: ConformanceThresholds | None = None) -> None:
        self.thresholds = thresholds or ConformanceThresholds()
        self.state = ConformanceState.CONFORMING
        self._last_s: float | None = None
        self._inside = True
        self._outside_since: float | None = None

    def observe(self, time_s: float, inside: bool) -> list[Transition]:
        """Record one observation; returns the transitions it causes (possibly none)."""
        if self._last_s is not None and time_s < self._last_s:
            return []
        self._last_s = time_s
        self._inside = inside
        if inside:
            self._outside_since = None
            return self._move(ConformanceState.CONFORMING, time_s)
        if self._outside_since is None:
            self._outside_since = time_s
        return self._escalate(time_s)

    def tick(self, now_s: float) -> list[Transition]:
        """Advance time without a report: an aircraft last seen outside is still outside."""
        if self._last_s is None or now_s < self._last_s or self._inside:
            return []
        return self._escalate(now_s)

    def _escalate(self, now_s: float) -> list[Transition]:
        if self._outside_since is None:
            return []
        th = self.thresholds
        outside_for = now_s - self._outside_since
        out: list[Transition] = []
        if self.state is ConformanceState.CONFORMING and outside_for > th.nonconforming_after_s:
            out += self._move(ConformanceState.NONCONFORMING, now_s)
        if (
            self.state is ConformanceState.NONCONFORMING
            and outside_for > th.nonconforming_after_s + th.contingent_after_s
        ):
            out += self._move(ConformanceState.CONTINGENT, now_s)
        return out

    def _move(self, to: ConformanceState, at_s: float) -> list[Transition]:
        if to is self.state:
            return []
        t = Transition(self.state, to, at_s)
        self.state = to
        return [t]


class Monitor(Generic[P]):
    """A machine plus the containment test that turns a position report into ``inside``."""

    def __init__(
        self,
        contains: Callable[[float, P], bool],
        thresholds: ConformanceThresholds | None = None,
    ) -> None:
        self._contains = contains
        self.machine = ConformanceMachine(thresholds)

    @property
    def state(self) -> ConformanceState:
        return self.machine.state

    def report(self, time_s: float, position: P) -> list[Transition]:
        """Check one position report against the operation's volumes at ``time_s``."""
        return self.machine.observe(time_s, self._contains(time_s, position))
