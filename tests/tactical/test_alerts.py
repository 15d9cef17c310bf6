"""Alert lifecycle: new/ongoing/resolved, severity bands, hysteresis, acknowledgement."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.tactical.alerts import (
    AlertBook,
    AlertEvent,
    AlertState,
    EventKind,
    Observation,
    Severity,
    severity_for,
)
from deconflict.tactical.alerts import AlertThresholds as Th


def obs(t_in: float, los: bool = False, a: str = "A", b: str = "B") -> Observation:
    return Observation(a, b, t_in, t_in + 60.0, t_in + 30.0, 100.0, los)


def kinds(events: list[AlertEvent]) -> list[EventKind]:
    return [e.kind for e in events]


def test_severity_bands_follow_time_to_loss() -> None:
    th = Th()
    assert severity_for(obs(0.0, los=True), th) is Severity.LOSS
    assert severity_for(obs(29.9), th) is Severity.WARNING
    assert severity_for(obs(30.0), th) is Severity.CAUTION
    assert severity_for(obs(120.0), th) is Severity.CAUTION
    assert severity_for(obs(120.1), th) is Severity.ADVISORY


def test_first_sighting_is_new_and_the_next_is_ongoing() -> None:
    book = AlertBook()
    assert kinds(book.update(0.0, [obs(200.0)])) == [EventKind.NEW]
    assert book.active()[0].state is AlertState.NEW
    assert book.update(5.0, [obs(195.0)]) == []
    assert book.active()[0].state is AlertState.ONGOING


def test_pair_order_does_not_make_two_alerts() -> None:
    book = AlertBook()
    book.update(0.0, [obs(200.0, a="A", b="B")])
    book.update(5.0, [obs(195.0, a="B", b="A")])
    assert len(book.active()) == 1


def test_one_missed_pass_does_not_resolve_the_alert() -> None:
    book = AlertBook(Th(resolve_after_s=10.0))
    book.update(0.0, [obs(200.0)])
    assert book.update(5.0, []) == []
    assert book.update(8.0, [obs(190.0)]) == []
    assert [al.alert_id for al in book.active()] == [1]


def test_alert_resolves_after_the_pair_stays_absent() -> None:
    book = AlertBook(Th(resolve_after_s=10.0))
    book.update(0.0, [obs(200.0)])
    book.update(5.0, [])
    events = book.update(10.0, [])
    assert kinds(events) == [EventKind.RESOLVED]
    assert events[0].alert.state is AlertState.RESOLVED
    assert book.active() == []


def test_pair_returning_after_resolution_is_a_new_alert() -> None:
    book = AlertBook(Th(resolve_after_s=10.0))
    book.update(0.0, [obs(200.0)])
    book.update(20.0, [])
    events = book.update(25.0, [obs(150.0)])
    assert kinds(events) == [EventKind.NEW]
    assert events[0].alert.alert_id == 2


def test_severity_upgrades_immediately() -> None:
    book = AlertBook()
    book.update(0.0, [obs(130.0)])
    events = book.update(1.0, [obs(25.0)])
    assert kinds(events) == [EventKind.SEVERITY_CHANGED]
    assert events[0].alert.severity is Severity.WARNING


def test_time_to_loss_jittering_around_a_threshold_does_not_toggle_severity() -> None:
    book = AlertBook(Th(downgrade_margin_s=10.0))
    book.update(0.0, [obs(29.0)])
    for k, t_in in enumerate([31.0, 29.5, 33.0, 28.0, 35.0]):
        assert book.update(1.0 + k, [obs(t_in)]) == []
    assert book.active()[0].severity is Severity.WARNING


def test_severity_downgrades_once_time_to_loss_clears_the_margin() -> None:
    book = AlertBook(Th(downgrade_margin_s=10.0))
    book.update(0.0, [obs(29.0)])
    events = book.update(1.0, [obs(41.0)])
    assert [e.alert.severity for e in events] == [Severity.CAUTION]


def test_acknowledgement_is_recorded_per_party() -> None:
    book = AlertBook()
    book.update(0.0, [obs(100.0)])
    event = book.acknowledge(1, "red", 1.0)
    assert event is not None and event.kind is EventKind.ACKNOWLEDGED
    book.acknowledge(1, "blue", 2.0)
    assert book.active()[0].acknowledged_by == {"red", "blue"}


def test_an_upgrade_clears_acknowledgements() -> None:
    book = AlertBook()
    book.update(0.0, [obs(100.0)])
    book.acknowledge(1, "red", 1.0)
    book.update(2.0, [obs(95.0)])
    assert book.active()[0].acknowledged_by == {"red"}
    book.update(3.0, [obs(20.0)])
    assert book.active()[0].acknowledged_by == frozenset()


def test_acknowledging_an_unknown_alert_changes_nothing() -> None:
    book = AlertBook()
    book.update(0.0, [obs(100.0)])
    assert book.acknowledge(99, "red", 1.0) is None
    assert book.active()[0].acknowledged_by == frozenset()


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([30.0, 120.0]),
    st.lists(st.floats(-4.9, 4.9), min_size=1, max_size=30),
)
def test_jitter_smaller_than_the_margin_changes_severity_at_most_once(
    threshold: float, jitter: list[float]
) -> None:
    book = AlertBook(Th(downgrade_margin_s=10.0))
    changes = 0
    for k, dt in enumerate(jitter):
        events = book.update(float(k), [obs(threshold + dt)])
        changes += sum(e.kind is EventKind.SEVERITY_CHANGED for e in events)
    assert changes <= 1
    assert len(book.active()) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=40))
def test_every_alert_raised_is_resolved_exactly_once_after_the_pair_goes_away(
    present: list[bool],
) -> None:
    book = AlertBook(Th(resolve_after_s=3.0))
    raised = resolved = 0
    for k, here in enumerate([*present, *([False] * 5)]):
        for e in book.update(float(k), [obs(100.0)] if here else []):
            raised += e.kind is EventKind.NEW
            resolved += e.kind is EventKind.RESOLVED
    assert raised == resolved
    assert book.active() == []
