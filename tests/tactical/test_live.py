"""The live picture on its own, where the API cannot reach: races between parties."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from deconflict.tactical.alerts import EventKind
from deconflict.tactical.live import LivePicture, PositionReport
from deconflict.tactical.sharing import NO_AGREEMENTS
from deconflict.tactical.views import AlertNotice
from tests.tactical.helpers import HEAD_ON_LON, T0, FakeClock, config


def test_parties_racing_with_one_track_id_each_keep_their_own_aircraft() -> None:
    live = LivePicture(config(), clock=FakeClock())
    start = threading.Barrier(8)
    parties = [f"p{k}" for k in range(8)]

    def report_x1(party: str) -> None:
        start.wait()
        live.submit(party, [PositionReport("X1", party, T0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0)])

    threads = [threading.Thread(target=report_x1, args=(p,)) for p in parties]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = live.everything()
    assert sorted((t.report.id, t.report.party) for t in every) == [("X1", p) for p in parties]


def test_an_alert_between_two_aircraft_of_one_id_names_each_by_its_plain_id() -> None:
    delivered: list[AlertNotice] = []
    clock = FakeClock()
    live = LivePicture(config(), clock=clock, on_alerts=delivered.extend)
    a, b = head_on_reports(clock.now)
    live.submit("alpha", [replace(a, id="X1")])
    live.submit("beta", [replace(b, id="X1")])
    assert sorted((n.party, n.view.own, n.other_party, n.other_id) for n in delivered) == [
        ("alpha", "X1", "beta", "X1"),
        ("beta", "X1", "alpha", "X1"),
    ]


def test_a_party_sees_two_other_aircraft_of_one_id_as_two_aliases() -> None:
    clock = FakeClock()
    live = LivePicture(config(), clock=clock)
    a, b = head_on_reports(clock.now)
    live.submit("alpha", [a])
    live.submit("beta", [replace(b, id="X1")])
    live.submit("gamma", [replace(b, id="X1", party="gamma", lat=0.001)])
    aliases = {alert.other_alias for alert in live.alerts_for("alpha")}
    assert len(aliases) == 2 and None not in aliases


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


def test_an_alert_view_names_the_other_aircraft_only_by_its_alias_in_the_observation() -> None:
    clock = FakeClock()
    live = LivePicture(config(), clock=clock)
    for party, rep in zip(("alpha", "beta"), head_on_reports(clock.now), strict=True):
        live.submit(party, [rep])
    [view] = live.alerts_for("alpha")
    assert {view.latest.a, view.latest.b} == {"A1", view.other_alias}


def test_an_advisory_names_the_own_aircraft_by_its_plain_id() -> None:
    clock = FakeClock()
    live = LivePicture(config(), clock=clock)
    for party, rep in zip(("alpha", "beta"), head_on_reports(clock.now), strict=True):
        live.submit(party, [rep])
    [view] = live.alerts_for("alpha")
    assert view.advisory is not None and view.advisory.id == "A1"
