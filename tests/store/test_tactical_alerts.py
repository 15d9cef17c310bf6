"""Several replicas detect one conflict; its events are announced once (issue 19).

Two live pictures fed the same reports stand for two replicas: each opens the alert
under an id of its own. ``settle`` lets the first announce it and has the second adopt
that id, once per event, on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence

from deconflict.store.sql import SqlStore
from deconflict.store.tactical_alerts import settle
from deconflict.tactical.alerts import EventKind
from deconflict.tactical.live import LivePicture, PositionReport
from deconflict.tactical.views import AlertNotice
from tests.tactical.helpers import HEAD_ON_LON, FakeClock, config


class Replica:
    """A live picture whose alert notices are kept for the test to settle."""

    def __init__(self, clock: FakeClock, first_id_offset_s: float) -> None:
        self.notices: list[list[AlertNotice]] = []
        clock.advance(first_id_offset_s)  # its own alert ids, as a replica started later
        self.picture = LivePicture(config(), on_alerts=self._keep, clock=clock)

    def _keep(self, notices: Sequence[AlertNotice]) -> None:
        self.notices.append(list(notices))

    def fly(self, clock: FakeClock, moved_deg: float) -> None:
        now = clock.now
        for party, ident, lon, track in (
            ("alpha", "A1", moved_deg, 90.0),
            ("beta", "B1", HEAD_ON_LON - moved_deg, 270.0),
        ):
            r = PositionReport.from_track(ident, party, now, 0.0, lon, 3000.0, 100.0, track, 0.0)
            self.picture.ingest(party, [r])

    def take(self) -> list[AlertNotice]:
        out = [n for batch in self.notices for n in batch]
        self.notices.clear()
        return out


def settled(
    store: SqlStore, notices: list[AlertNotice]
) -> tuple[list[AlertNotice], dict[int, int]]:
    return store.run(lambda s: settle(s, notices))


def test_the_second_replica_adopts_the_first_ones_alert_and_announces_nothing(
    store: SqlStore,
) -> None:
    clock = FakeClock()
    one, two = Replica(clock, 0.0), Replica(clock, 1.0)
    one.fly(clock, 0.0)
    two.fly(clock, 0.0)
    first, second = one.take(), two.take()
    assert {n.kind for n in first} == {n.kind for n in second} == {EventKind.NEW}
    assert first[0].view.alert_id != second[0].view.alert_id

    announced, adopted = settled(store, first)
    assert sorted(n.party for n in announced) == ["alpha", "beta"]
    assert adopted == {}

    again, renamed = settled(store, second)
    assert again == []
    assert renamed == {second[0].view.alert_id: first[0].view.alert_id}


def test_a_severity_change_and_the_resolution_are_announced_once(store: SqlStore) -> None:
    clock = FakeClock()
    one, two = Replica(clock, 0.0), Replica(clock, 1.0)
    for replica in (one, two):
        replica.fly(clock, 0.0)
    settled(store, one.take())
    settled(store, two.take())
    clock.advance(25)  # t_in drops from about 54 s to about 29 s: a warning
    for replica in (one, two):
        replica.fly(clock, 0.0009 * 25)
    updates_one, updates_two = one.take(), two.take()
    assert {n.kind for n in updates_one} == {EventKind.SEVERITY_CHANGED}
    assert len(settled(store, updates_one)[0]) == 2
    assert settled(store, updates_two)[0] == []

    clock.advance(400)  # both stop reporting: stale, then resolved
    for replica in (one, two):
        replica.picture.run_pass()
        replica.picture.run_pass()
    resolved_one, resolved_two = one.take(), two.take()
    assert EventKind.RESOLVED in {n.kind for n in resolved_one}
    assert [n.kind for n in settled(store, resolved_one)[0]].count(EventKind.RESOLVED) == 2
    assert settled(store, resolved_two)[0] == []


def test_settling_the_same_batch_again_adds_nothing(store: SqlStore) -> None:
    """A batch retried after an outage, which went through meanwhile after all."""
    clock = FakeClock()
    one = Replica(clock, 0.0)
    one.fly(clock, 0.0)
    batch = one.take()
    assert len(settled(store, batch)[0]) == 2
    assert settled(store, batch)[0] == []
