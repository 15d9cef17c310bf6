"""``replay``: a recording posted in time order to a real server on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from deconflict.api.app import create_app
from deconflict.cli.replay import Recorded, load_recording, play, replay
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture, PositionReport, SubmitResult, utc_now
from tests.e2e.tactical.conftest import Headers, wire
from tests.tactical.helpers import config

cli = typer.Typer()
cli.command()(replay)

Posted = list[list[tuple[str, float, datetime]]]


@pytest.fixture
def posted(settings: Settings, store: SqlStore) -> Iterator[tuple[str, Posted]]:
    """A server whose live picture records every batch it is given, in arrival order."""
    app = create_app(settings, store)
    live: LivePicture = wire(app, config(), utc_now)
    seen: Posted = []
    original = live.submit

    def spy(party: str, reports: Sequence[PositionReport]) -> SubmitResult:
        seen.append([(r.id, r.lon, r.time) for r in reports])
        return original(party, reports)

    live.submit = spy  # type: ignore[method-assign]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(500):
        if srv.started:
            break
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", seen
    srv.should_exit = True
    thread.join(5)


def token(auth: Headers) -> str:
    return auth("alpha")["Authorization"].removeprefix("Bearer ")


CSV = """id,time,lat,lon,alt_m,gs_mps,track_deg,vn_mps,ve_mps,vs_mps
A1,2024-05-01T12:00:02Z,0,0.02,1000,100,90,,,0
A2,2024-05-01T12:00:00Z,0,0.5,1000,,,0,-50,0
A1,2024-05-01T12:00:00Z,0,0.00,1000,100,90,,,0
A1,2024-05-01T12:00:01Z,0,0.01,1000,100,90,,,0
"""


def test_replay_posts_a_csv_recording_in_time_order_one_batch_per_instant(
    posted: tuple[str, Posted], auth: Headers, tmp_path: Path
) -> None:
    url, seen = posted
    (tmp_path / "rec.csv").write_text(CSV)
    args = [str(tmp_path / "rec.csv"), "--url", url, "--token", token(auth), "--speed", "1000"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "posted 4 reports in 3 batches: 4 accepted" in result.stdout
    assert [[(i, lon) for i, lon, _ in batch] for batch in seen] == [
        [("A2", 0.5), ("A1", 0.0)],
        [("A1", 0.01)],
        [("A1", 0.02)],
    ]


def test_replay_reads_json_lines_and_keeps_recorded_times_when_asked(
    posted: tuple[str, Posted], auth: Headers, tmp_path: Path
) -> None:
    url, seen = posted
    t = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    lines = [
        {
            "id": "A1",
            "time": (t + timedelta(seconds=k)).isoformat(),
            "lat": 0,
            "lon": k / 100,
            "alt_m": 1000,
            "gs_mps": 100,
            "track_deg": 90,
            "vs_mps": 0,
        }
        for k in (1, 0)
    ]
    (tmp_path / "rec.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    args = [str(tmp_path / "rec.jsonl"), "--url", url, "--token", token(auth), "--speed", "0"]
    result = CliRunner().invoke(cli, [*args, "--keep-times"])
    assert result.exit_code == 0, result.output
    assert [batch[0][2] for batch in seen] == [t, t + timedelta(seconds=1)]
    assert "2 ignored" in result.stdout  # recorded long ago: stale for the service


def test_a_refused_batch_stops_the_replay_with_the_services_message(
    posted: tuple[str, Posted], auth: Headers, tmp_path: Path
) -> None:
    url, seen = posted
    bad = CSV.replace("A1,2024-05-01T12:00:01Z,0,", "A1,2024-05-01T12:00:01Z,95,")
    (tmp_path / "rec.csv").write_text(bad)
    args = [str(tmp_path / "rec.csv"), "--url", url, "--token", token(auth), "--speed", "0"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "reports[0].lat" in result.output
    assert len(seen) == 1  # the first instant went through, the bad one stopped the replay


def test_a_malformed_recording_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    (tmp_path / "rec.csv").write_text("id,time,lat\n,2024-05-01T12:00:00Z,1\n")
    args = [str(tmp_path / "rec.csv"), "--url", "http://127.0.0.1:9", "--token", "t"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "line 2.id" in result.output


def test_retimed_reports_keep_the_recordings_spacing_divided_by_the_speed(tmp_path: Path) -> None:
    (tmp_path / "rec.csv").write_text(CSV)
    records = load_recording(tmp_path / "rec.csv")
    start = datetime(2031, 1, 1, tzinfo=UTC)
    now = [start]
    waits: list[float] = []
    bodies: list[list[dict[str, Any]]] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += timedelta(seconds=s)

    def post(body: list[dict[str, Any]]) -> dict[str, Any]:
        bodies.append(body)
        return {"accepted": len(body), "ignored": 0, "alerts": []}

    play(records, post, speed=4.0, retime=True, clock=lambda: now[0], sleep=sleep)
    assert waits == [0.25, 0.25]
    assert [b[0]["time"] for b in bodies] == [
        "2031-01-01T00:00:00Z",
        "2031-01-01T00:00:00.250000Z",
        "2031-01-01T00:00:00.500000Z",
    ]


def test_records_with_equal_times_keep_file_order(tmp_path: Path) -> None:
    (tmp_path / "rec.csv").write_text(CSV)
    records: list[Recorded] = load_recording(tmp_path / "rec.csv")
    assert [r.fields["id"] for r in records] == ["A2", "A1", "A1", "A1"]
