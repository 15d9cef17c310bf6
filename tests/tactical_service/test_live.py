"""The live picture on its own, where the API cannot reach: races between parties."""

from __future__ import annotations

import threading
from datetime import datetime

from deconflict.tactical.alerts import EventKind
from deconflict.tactical.live import LivePicture, NotYourTrack, PositionReport
from deconflict.tactical.sharing import NO_AGREEMENTS
from deconflict.tactical.views import AlertNotice

from .conftest import HEAD_ON_LON, T0, FakeClock, config


def test_two_parties_racing_for_one_track_id_leave_exactly_one_owner() -> None:
    live = LivePicture(config(), clock=FakeClock())
    start = threading.Barrier(8)
    won: list[str] = []

    def claim(party: str) -> None:
        start.wait()
        try:
            live.submit(party, [PositionReport("X1", party, T0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0)])
        except NotYourTrack:
            return
        won.append(party)

    threads = [threading.Thread(target=claim, args=(f"p{k}",)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and live.owner_of("X1") == won[0]


def head_on_reports(at: datetime) -> tuple[PositionReport, PositionReport]:
    a = PositionReport("A1", "alpha", at, 0.0, 0.0, 3000.0, 0.0, 100.0, 0.0)
    b = PositionReport("B1", "beta", at, 0.0, HEAD_ON_LON, 3000.0, 0.0, -100.0, 0.0)
    return a, b


def test_a_new_alert_is_one_notice_per_party_and_a_quiet_pass_none() -> None:
    delivered: list[list[AlertNotice]] = []
    clock = FakeClock()
    live = LivePicture(config(), clock=clock, on_alerts=lambda n: delivered.append(list(n)))
    a, b = head_on_reports(clock.now)
    live.submit("alpha", [a])
    live.submit("beta", [b])
    [notices] = delivered
    assert [(n.kind, n.party, n.view.own) for n in notices] == [
        (EventKind.NEW, "alpha", "A1"),
        (EventKind.NEW, "beta", "B1"),
    ]
    live.run_pass()
    assert len(delivered) == 1


def test_an_alert_notice_is_anonymous_unless_the_policy_identifies() -> None:
    delivered: list[AlertNotice] = []
    clock = FakeClock()
    live = LivePicture(config(), clock=clock, on_alerts=delivered.extend)
    for party, rep in zip(("alpha", "beta"), head_on_reports(clock.now), strict=True):
        live.submit(party, [rep])
    to_alpha = delivered[0]
    assert to_alpha.view_for(NO_AGREEMENTS).other_id is None

    class Everyone:
        def may_identify(self, viewer: str, owner: str) -> bool:
            return True

        def may_see_telemetry(
            self, viewer: str, owner: str, *, in_conflict_with_viewer: bool, off_nominal: bool
        ) -> bool:
            return True

    named = to_alpha.view_for(Everyone())
    assert (named.other_id, named.other_party) == ("B1", "beta")


def test_a_picture_started_later_numbers_its_alerts_after_an_earlier_one() -> None:
    """Alert ids are hotline conflict ids: a restart must not hand out an old one."""
    first, second = FakeClock(), FakeClock()
    second.advance(1)
    ids = []
    for clock in (first, second):
        live = LivePicture(config(), clock=clock)
        for party, rep in zip(("alpha", "beta"), head_on_reports(clock.now), strict=True):
            live.submit(party, [rep])
        ids.append(live.alerts_for("alpha")[0].alert_id)
    assert ids[1] > ids[0]
