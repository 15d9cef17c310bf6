"""Conformance state machine: escalation by time outside, recovery, out-of-order reports."""

from __future__ import annotations

from deconflict.tactical.conformance import (
    ConformanceMachine,
    ConformanceState,
    ConformanceThresholds,
    Monitor,
    Transition,
)

C, N, X = (
    ConformanceState.CONFORMING,
    ConformanceState.NONCONFORMING,
    ConformanceState.CONTINGENT,
)
TH = ConformanceThresholds(nonconforming_after_s=10.0, contingent_after_s=30.0)


def feed(m: ConformanceMachine, *obs: tuple[float, bool]) -> list[Transition]:
    out: list[Transition] = []
    for t, inside in obs:
        out += m.observe(t, inside)
    return out


def test_short_excursion_stays_conforming() -> None:
    m = ConformanceMachine(TH)
    assert feed(m, (0.0, True), (1.0, False), (11.0, False), (12.0, True)) == []
    assert m.state is C


def test_outside_longer_than_the_first_threshold_is_nonconforming() -> None:
    m = ConformanceMachine(TH)
    assert feed(m, (0.0, False), (10.5, False)) == [Transition(C, N, 10.5)]


def test_not_back_within_the_second_threshold_is_contingent() -> None:
    m = ConformanceMachine(TH)
    out = feed(m, (0.0, False), (11.0, False), (40.0, False), (41.0, False))
    assert out == [Transition(C, N, 11.0), Transition(N, X, 41.0)]


def test_back_inside_recovers_from_nonconforming() -> None:
    m = ConformanceMachine(TH)
    assert feed(m, (0.0, False), (11.0, False), (12.0, True))[-1] == Transition(N, C, 12.0)
    assert m.state is C


def test_back_inside_recovers_from_contingent() -> None:
    m = ConformanceMachine(TH)
    feed(m, (0.0, False), (100.0, False))
    assert m.state is X
    assert feed(m, (101.0, True)) == [Transition(X, C, 101.0)]


def test_one_late_report_after_a_long_gap_passes_both_thresholds_in_order() -> None:
    m = ConformanceMachine(TH)
    assert feed(m, (0.0, False), (100.0, False)) == [
        Transition(C, N, 100.0),
        Transition(N, X, 100.0),
    ]


def test_recovery_restarts_the_clock_for_the_next_excursion() -> None:
    m = ConformanceMachine(TH)
    assert feed(m, (0.0, False), (9.0, False), (9.5, True), (10.0, False), (18.0, False)) == []


def test_tick_escalates_an_aircraft_last_seen_outside() -> None:
    m = ConformanceMachine(TH)
    m.observe(0.0, False)
    assert m.tick(5.0) == []
    assert m.tick(10.5) == [Transition(C, N, 10.5)]


def test_tick_does_nothing_for_an_aircraft_last_seen_inside() -> None:
    m = ConformanceMachine(TH)
    m.observe(0.0, True)
    assert m.tick(1000.0) == []


def test_an_older_report_arriving_late_is_ignored() -> None:
    m = ConformanceMachine(TH)
    feed(m, (0.0, False), (11.0, False))
    assert m.observe(5.0, True) == []
    assert m.state is N


def test_monitor_uses_the_containment_callable_at_the_report_time() -> None:
    calls: list[tuple[float, float]] = []

    def inside_before_t20_below_1000m(t: float, alt: float) -> bool:
        calls.append((t, alt))
        return t < 20.0 and alt < 1000.0

    mon = Monitor(inside_before_t20_below_1000m, TH)
    assert mon.report(0.0, 500.0) == []
    mon.report(15.0, 1500.0)
    assert mon.report(26.0, 500.0) == [Transition(C, N, 26.0)]
    assert calls == [(0.0, 500.0), (15.0, 1500.0), (26.0, 500.0)]
    assert mon.state is N
