"""Issue 19: one tactical picture behind several replicas.

Two ``deconflict serve`` processes share one PostgreSQL schema. Each party reports its
aircraft to a different replica; the two aircraft converge head-on. The replicas share
their reports (LISTEN/NOTIFY), both detect the conflict, and each party's event stream
gets exactly one ``alert.new``, under one alert id, which both replicas show.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.replicas.conftest import needs_pg, token

HEAD_ON_LON = 0.18
"""About 20 km apart at 100 m/s each: the 5 NM zone is about 54 s ahead (a caution)."""
WAIT_S = 60.0
"""A safety net: no alert by then is a failure, not a slow machine."""


def report(ident: str, lon: float, track_deg: float) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": ident,
        "time": now,
        "lat": 0.0,
        "lon": lon,
        "alt_m": 3000.0,
        "gs_mps": 100.0,
        "track_deg": track_deg,
        "vs_mps": 0.0,
    }


def alert_events(http: httpx.Client, headers: dict[str, str]) -> list[tuple[str, Any]]:
    r = http.get("/v1/events", params={"follow": "false"}, headers=headers)
    assert r.status_code == 200, r.text
    out: list[tuple[str, Any]] = []
    for block in r.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event", "").startswith("alert."):
            out.append((lines["event"], json.loads(lines["data"])["data"]))
    return out


@needs_pg
def assert_one_alert_shown_by_both(
    h1: httpx.Client,
    h2: httpx.Client,
    alpha: dict[str, str],
    beta: dict[str, str],
    moved: float,
) -> None:
    """Alpha reports A1 to the first replica, beta B1 to the second, head on and already
    in conflict: however often both replicas detect it, each party's stream (read on the
    other replica) carries one ``alert.new`` under one id, and both replicas show it."""
    for _ in range(3):  # both replicas keep detecting it: still one alert each
        h1.post("/v1/tracks", json={"reports": [report("A1", moved, 90.0)]}, headers=alpha)
        b = {"reports": [report("B1", HEAD_ON_LON - moved, 270.0)]}
        h2.post("/v1/tracks", json=b, headers=beta)
        time.sleep(0.5)
    to_alpha = [d for k, d in alert_events(h2, alpha) if k == "alert.new"]
    to_beta = [d for k, d in alert_events(h1, beta) if k == "alert.new"]
    assert len(to_alpha) == len(to_beta) == 1, (to_alpha, to_beta)
    alert_id = to_alpha[0]["id"]
    assert to_beta[0]["id"] == alert_id
    assert (to_alpha[0]["own"], to_beta[0]["own"]) == ("A1", "B1")
    for http, headers in ((h1, alpha), (h2, alpha), (h1, beta), (h2, beta)):
        shown = http.get("/v1/alerts", headers=headers).json()["alerts"]
        assert [a["id"] for a in shown] == [alert_id], (http.base_url, shown)


def test_reports_to_two_replicas_make_one_alert_on_both_parties_streams(
    tmp_path: Path, servers: Callable[..., Any], pg_schema: Callable[[], str]
) -> None:
    url = pg_schema()
    one = servers(tmp_path, url)
    two = servers(tmp_path, url)
    alpha = {
        "Authorization": f"Bearer {token(tmp_path, 'alpha', 'deconflict.track', 'deconflict.read')}"
    }
    beta = {
        "Authorization": f"Bearer {token(tmp_path, 'beta', 'deconflict.track', 'deconflict.read')}"
    }
    with (
        httpx.Client(base_url=one.url, timeout=30) as h1,
        httpx.Client(base_url=two.url, timeout=30) as h2,
    ):
        deadline = time.monotonic() + WAIT_S
        seen: list[tuple[str, Any]] = []
        moved = 0.0
        while time.monotonic() < deadline:
            # Trackers report every second; a replica still subscribing misses a report
            # or two, as it would in service, and takes the next one.
            r1 = h1.post("/v1/tracks", json={"reports": [report("A1", moved, 90.0)]}, headers=alpha)
            r2 = h2.post(
                "/v1/tracks",
                json={"reports": [report("B1", HEAD_ON_LON - moved, 270.0)]},
                headers=beta,
            )
            assert r1.status_code == r2.status_code == 200, (r1.text, r2.text)
            seen = alert_events(h1, alpha)
            if seen and alert_events(h2, beta):
                break
            time.sleep(1.0)
            moved += 0.0009
        assert seen, "no alert reached alpha's stream"
        assert_one_alert_shown_by_both(h1, h2, alpha, beta, moved)
