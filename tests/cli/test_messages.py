"""``deconflict messages escalate --once`` escalates from the database alone, once;
``deconflict messages list`` shows the operator every message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.notify.recorder import Notifier
from deconflict.service.hotline_parts import HotlineParts
from deconflict.settings import NotifySettings, Settings
from deconflict.store.sql import open_store
from tests.hotline.conftest import Clock, events_of


def test_the_standalone_escalator_escalates_overdue_messages_once(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    store = open_store(f"sqlite:///{db}")
    half_an_hour_ago = Clock(datetime.now(UTC) - timedelta(minutes=30))
    runtime = HotlineParts(
        store, Settings(data_dir=tmp_path), Notifier(NotifySettings(), clock=half_an_hour_ago)
    )
    overdue = runtime.hotline.send("alpha", "beta", "confirm", deadline_s=60)
    runtime.hotline.send("alpha", "gamma", "later", deadline_s=3600)
    args = ["--database", str(db), "--data-dir", str(tmp_path / "data")]
    runner = CliRunner()

    first = runner.invoke(app, ["messages", "escalate", "--once", *args])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [f"escalated {overdue.id} (alpha -> beta)"]
    again = runner.invoke(app, ["messages", "escalate", "--once", *args])
    assert again.exit_code == 0 and again.output == ""
    assert [k for k, _ in events_of(store, "operator")] == ["message.escalated"]

    listed = runner.invoke(app, ["messages", "list", "--json", *args])
    assert listed.exit_code == 0, listed.output
    rows = [orjson.loads(line) for line in listed.output.splitlines()]
    assert sorted((r["to"], r["status"]) for r in rows) == [
        ("beta", "escalated"),
        ("gamma", "awaiting_ack"),
    ]
    store.close()
