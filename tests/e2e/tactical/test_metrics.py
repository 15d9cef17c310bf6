"""Issue 18: ``/metrics`` shows the tactical picture's passes and live tracks."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from deconflict.tactical.live import LivePicture
from tests.e2e.tactical.conftest import Headers, post, report
from tests.tactical.helpers import HEAD_ON_LON


def scrape(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics").text
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("deconflict_tactical_")
    }


def test_passes_are_counted_with_their_time_and_the_tracks_they_saw(
    client: TestClient, auth: Headers, live: LivePicture
) -> None:
    post(client, auth("alpha"), report("a1", 0.0))
    post(client, auth("beta"), report("b1", HEAD_ON_LON, track_deg=270.0))
    before = scrape(client)
    assert before["deconflict_tactical_tracks"] == 2
    live.run_pass()
    after = scrape(client)
    assert after["deconflict_tactical_pass_seconds_count"] == (
        before["deconflict_tactical_pass_seconds_count"] + 1
    )
    assert after["deconflict_tactical_pass_seconds_sum"] > 0
