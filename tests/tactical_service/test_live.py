"""The live picture on its own, where the API cannot reach: races between parties."""

from __future__ import annotations

import threading

from deconflict.tactical.live import LivePicture, NotYourTrack, PositionReport

from .conftest import T0, FakeClock, config


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
