"""An advisory keeps its sense for the life of the encounter (issue 16, defect 4).

Issue 16's encounter: exactly head-on, same altitude, 100 m/s each. The first advisory
said turn right; four seconds later, at the upgrade from caution to warning, it said
turn left, to both aircraft. A report a few centimetres to one side of the other
aircraft's track, then to the other side, is all it takes: position noise far below any
sensor's accuracy decided the sense, afresh on every pass.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

from fastapi.testclient import TestClient

from deconflict.tactical.alerts import Severity
from deconflict.tactical.live import LivePicture, PositionReport
from deconflict.tactical.resolution import Maneuver
from deconflict.tactical.state import EARTH_RADIUS_M
from deconflict.tactical.views import PartyAlert
from tests.e2e.tactical.conftest import Headers, post, report
from tests.tactical.helpers import FakeClock, config

GS = 100.0
NOISE_DEG = 1e-6  # 11 cm of latitude


def reports(at: datetime, gap_m: float, lat_b: float) -> tuple[PositionReport, PositionReport]:
    """A flying east at the equator, B flying west ``gap_m`` ahead of it, same altitude."""
    lon_b = math.degrees(gap_m / EARTH_RADIUS_M)
    a = PositionReport("A1", "alpha", at, 0.0, 0.0, 3000.0, 0.0, GS, 0.0)
    b = PositionReport("B1", "beta", at, lat_b, lon_b, 3000.0, 0.0, -GS, 0.0)
    return a, b


def advice(live: LivePicture) -> dict[str, tuple[Severity, float]]:
    """Each aircraft's severity and advised change of track (positive: turn right)."""
    out = {}
    for party in ("alpha", "beta"):
        [alert] = live.alerts_for(party)
        assert alert.advisory is not None
        out[alert.own] = (alert.severity, alert.advisory.d_track_deg)
    return out


def fly(live: LivePicture, clock: FakeClock, gap_m: float, lat_b: float) -> None:
    a, b = reports(clock.now, gap_m, lat_b)
    live.submit("alpha", [a])
    live.submit("beta", [b])


def test_the_sense_survives_the_upgrade_from_caution_to_warning_despite_position_noise() -> None:
    clock = FakeClock()
    live = LivePicture(config(), clock=clock)
    # t_in = (gap - R) / 200: 34 s (caution), then 4 s later 30 s... and below (warning).
    gap = 9260.0 + 2 * GS * 34.0
    fly(live, clock, gap, +NOISE_DEG)
    first = advice(live)
    assert {sev for sev, _ in first.values()} == {Severity.CAUTION}
    for step in range(1, 6):
        clock.advance(1)
        fly(live, clock, gap - 2 * GS * step, NOISE_DEG if step % 2 == 0 else -NOISE_DEG)
        now = advice(live)
        for own, (_, turn) in now.items():
            assert math.copysign(1, turn) == math.copysign(1, first[own][1]), (step, own, turn)
    assert {sev for sev, _ in advice(live).values()} == {Severity.WARNING}


def test_in_a_head_on_encounter_both_aircraft_are_told_to_turn_right() -> None:
    # The rules of the air (SERA.3210(c)(1)): approaching head-on, each alters to the right.
    for lat_b in (0.0, +NOISE_DEG, -NOISE_DEG):
        clock = FakeClock()
        live = LivePicture(config(), clock=clock)
        fly(live, clock, 9260.0 + 2 * GS * 34.0, lat_b)
        assert all(turn > 0 for _, turn in advice(live).values()), lat_b


def test_the_tie_break_does_not_depend_on_which_party_reported_first() -> None:
    turns = []
    for order in (("alpha", "beta"), ("beta", "alpha")):
        clock = FakeClock()
        live = LivePicture(config(), clock=clock)
        a, b = reports(clock.now, 9260.0 + 2 * GS * 34.0, 0.0)
        by_party = {"alpha": a, "beta": replace(b)}
        for party in order:
            live.submit(party, [by_party[party]])
        turns.append(advice(live))
    assert turns[0] == turns[1]


def test_posted_reports_of_the_issue_encounter_keep_the_sense_through_the_upgrade(
    client: TestClient, auth: Headers, clock: FakeClock
) -> None:
    gap = 9260.0 + 2 * GS * 34.0
    seen: list[tuple[str, str, float]] = []
    for step in range(6):
        lon_b = math.degrees((gap - 2 * GS * step) / EARTH_RADIUS_M)
        lat_b = NOISE_DEG if step % 2 == 0 else -NOISE_DEG
        post(client, auth("alpha"), report("A1", 0.0, clock.now, track_deg=90.0))
        post(client, auth("beta"), report("B1", lon_b, clock.now, lat=lat_b, track_deg=270.0))
        for party in ("alpha", "beta"):
            [alert] = client.get("/v1/alerts", headers=auth(party)).json()["alerts"]
            seen.append((alert["own"], alert["severity"], alert["advisory"]["d_track_deg"]))
            assert alert["advisory"]["reversed"] is False
        clock.advance(1)
    assert {sev for _, sev, _ in seen[:2]} == {"caution"}
    assert {sev for _, sev, _ in seen[-2:]} == {"warning"}
    assert all(turn > 0 for _, _, turn in seen), seen


def test_an_advisory_says_whether_its_sense_was_reversed() -> None:
    # Horizontal advice only: with AUTO, a vertical split would clear it without reversing.
    clock = FakeClock()
    live = LivePicture(config(maneuver=Maneuver.COMBINED), clock=clock)
    fast = 220.0

    def both(east_m: float, south_m: float) -> None:
        lon_b = math.degrees(east_m / EARTH_RADIUS_M)
        lat_b = -math.degrees(south_m / EARTH_RADIUS_M)
        a = PositionReport("A1", "alpha", clock.now, 0.0, 0.0, 3000.0, 0.0, fast, 0.0)
        b = PositionReport("B1", "beta", clock.now, lat_b, lon_b, 3000.0, 0.0, -fast, 0.0)
        live.submit("alpha", [a])
        live.submit("beta", [b])

    both(2 * fast * 60.0, 0.0)  # exactly head-on: both are told to turn right
    assert all(alert.advisory and alert.advisory.d_track_deg > 0 for alert in views(live))
    assert not any(alert.advisory_reversed for alert in views(live))
    # B swerves to pass 9 km south of A, 30 s out: keeping "both turn right" would carry
    # the miss 18 km across to the north, beyond the manoeuvre limits; both turning left
    # clears it. The advice reverses, and says so.
    clock.advance(1)
    both(2 * fast * 30.0, 9000.0)
    for alert in views(live):
        assert alert.advisory is not None and alert.advisory_reversed, alert.own
        assert alert.advisory.d_track_deg < 0 and alert.advisory_clears


def views(live: LivePicture) -> list[PartyAlert]:
    return [alert for party in ("alpha", "beta") for alert in live.alerts_for(party)]
