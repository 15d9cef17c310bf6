"""``deconflict replay FILE``: play a recording of position reports into a running service.

Recordings are CSV (a header row naming the columns) or JSON Lines (one report object per
line), with the columns of ``POST /v1/tracks``: ``id``, ``time``, ``lat``, ``lon``,
``alt_m``, ``gs_mps`` + ``track_deg`` or ``vn_mps`` + ``ve_mps``, ``vs_mps`` and an
optional ``operation``. Empty CSV cells are absent fields, so one file can mix both
velocity forms. ``time`` is RFC 3339 or Unix seconds.

Reports are sent in time order (a recording merged from several receivers is rarely
sorted), one POST per distinct timestamp, at the recording's pace divided by ``--speed``
(0: as fast as the service answers).

Times are rewritten by default (``--retime``): a report recorded ``dt`` after the first
one is stamped ``start + dt / speed``, the instant it is sent. The service judges
staleness and extrapolates against its own clock, so replaying yesterday's file with its
own timestamps would only produce stale reports. Velocities are not scaled: at
``--speed 10`` aircraft jump ten times further between reports than their velocity
says, which is what "accelerated" means for a replay, and what the detector sees is
each report's own state. ``--keep-times`` sends the recorded times unchanged (for a
recording made just now, or a service whose clock follows the recording).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import Progress

from deconflict.cli.consoles import error_console
from deconflict.cli.failure import exit_for
from deconflict.cli.wording import counted
from deconflict.errors import InvalidInput, ReplayRefused
from deconflict.model.times import rfc3339

NUMERIC = ("lat", "lon", "alt_m", "gs_mps", "track_deg", "vn_mps", "ve_mps", "vs_mps")
MAX_BATCH = 1000


class RecordingFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True, slots=True)
class Recorded:
    """One report of the recording: its time parsed, the rest as it will be posted."""

    time: datetime
    fields: dict[str, Any]


def _time(value: Any, where: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.strip())
        except ValueError:
            try:
                return datetime.fromtimestamp(float(value), UTC)
            except ValueError:
                pass
        else:
            if t.tzinfo is not None:
                return t.astimezone(UTC)
    raise InvalidInput(f"{where}.time", "must be RFC 3339 with a timezone, or Unix seconds")


def _record(raw: dict[str, Any], where: str) -> Recorded:
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None or value == "" or key is None:
            continue
        if key in NUMERIC and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise InvalidInput(f"{where}.{key}", f"must be a number, got {value!r}") from None
        fields[key] = value
    if "id" not in fields:
        raise InvalidInput(f"{where}.id", "is required")
    if "time" not in fields:
        raise InvalidInput(f"{where}.time", "is required")
    fields["id"] = str(fields["id"])
    return Recorded(_time(fields["time"], where), fields)


def _rows(text: str, fmt: RecordingFormat) -> Iterator[tuple[str, dict[str, Any]]]:
    if fmt is RecordingFormat.CSV:
        for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            yield f"line {n}", dict(row)
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {n}", f"not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InvalidInput(f"line {n}", "must be a JSON object")
        yield f"line {n}", obj


def load_recording(path: Path, fmt: RecordingFormat | None = None) -> list[Recorded]:
    """The recording's reports in time order (ties keep file order); errors name the line."""
    if fmt is None:
        fmt = RecordingFormat.CSV if path.suffix.lower() == ".csv" else RecordingFormat.JSONL
    text = path.read_text(encoding="utf-8-sig")
    records = [_record(raw, where) for where, raw in _rows(text, fmt)]
    return sorted(records, key=lambda r: r.time)


def batches(records: Sequence[Recorded]) -> list[list[Recorded]]:
    """One batch per distinct time, split at ``MAX_BATCH`` (the service's limit)."""
    out: list[list[Recorded]] = []
    for _, group in itertools.groupby(records, key=lambda r: r.time):
        items = list(group)
        out += [items[k : k + MAX_BATCH] for k in range(0, len(items), MAX_BATCH)]
    return out


@dataclass(frozen=True, slots=True)
class PlayResult:
    reports: int
    batches: int
    accepted: int
    ignored: int
    alerts: int
    """Alerts in the service's answer to the last batch."""


def play(
    records: Sequence[Recorded],
    post: Callable[[list[dict[str, Any]]], dict[str, Any]],
    *,
    speed: float,
    retime: bool,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int], None] = lambda _n: None,
) -> PlayResult:
    """Send ``records`` through ``post`` on the recording's schedule; clock and sleep are
    injectable so the schedule itself can be tested without waiting."""
    groups = batches(records)
    if not groups:
        return PlayResult(0, 0, 0, 0, 0)
    t0 = groups[0][0].time
    start = clock()
    accepted = ignored = alerts = 0
    for group in groups:
        offset = (group[0].time - t0) / speed if speed > 0 else timedelta(0)
        due = start + offset
        wait = (due - clock()).total_seconds()
        if wait > 0:
            sleep(wait)
        stamp = (due if speed > 0 else clock()) if retime else None
        body = [
            {**r.fields, "time": rfc3339(stamp if stamp is not None else r.time)} for r in group
        ]
        answer = post(body)
        accepted += int(answer.get("accepted", 0))
        ignored += int(answer.get("ignored", 0))
        alerts = len(answer.get("alerts", []))
        progress(len(group))
    return PlayResult(len(records), len(groups), accepted, ignored, alerts)


def _poster(http: httpx.Client) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    def post(reports: list[dict[str, Any]]) -> dict[str, Any]:
        r = http.post("/v1/tracks", json={"reports": reports})
        if r.status_code != 200:
            try:
                message = str(r.json().get("message", r.text))
            except ValueError:
                message = r.text
            raise ReplayRefused(r.status_code, message)
        answer: dict[str, Any] = r.json()
        return answer

    return post


def replay(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or JSON Lines recording.", exists=True, dir_okay=False),
    ],
    token: Annotated[
        str, typer.Option(envvar="DECONFLICT_TOKEN", help="Bearer token with deconflict.track.")
    ],
    url: Annotated[
        str, typer.Option(envvar="DECONFLICT_URL", help="Service base URL.")
    ] = "http://127.0.0.1:8080",
    speed: Annotated[
        float, typer.Option(min=0.0, help="Playback speed; 10 = ten times faster, 0 = no waits.")
    ] = 1.0,
    retime: Annotated[
        bool,
        typer.Option(
            "--retime/--keep-times", help="Stamp reports with the time they are sent (default)."
        ),
    ] = True,
    fmt: Annotated[
        RecordingFormat | None,
        typer.Option("--format", help="Default: csv for *.csv, otherwise JSON Lines."),
    ] = None,
) -> None:
    """Post a recording of position reports to a running service, in time order."""
    err = error_console()
    try:
        records = load_recording(file, fmt)
    except InvalidInput as exc:
        err.print(f"[red]invalid recording:[/] {exc}", highlight=False)
        raise exit_for(exc) from None
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=30.0) as http,
        Progress(console=err, transient=True) as bar,
    ):
        task = bar.add_task("replaying", total=len(records))
        try:
            result = play(
                records,
                _poster(http),
                speed=speed,
                retime=retime,
                progress=lambda n: bar.advance(task, n),
            )
        except ReplayRefused as exc:
            err.print(f"[red]service refused a batch:[/] {exc}", highlight=False)
            raise exit_for(exc) from None
        except httpx.HTTPError as exc:
            err.print(f"[red]cannot reach {url}:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
    typer.echo(
        f"posted {counted(result.reports, 'report')} in "
        f"{counted(result.batches, 'batch', 'batches')}: "
        f"{result.accepted} accepted, {result.ignored} ignored; "
        f"{counted(result.alerts, 'alert')} at the end"
    )
