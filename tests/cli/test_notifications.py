"""``deconflict worker --once`` delivers from the database alone; ``deconflict
notifications --failed`` lists the dead letters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.store import outbox
from deconflict.store.codec import to_us
from deconflict.store.sql import open_store
from tests.notify.helpers import Receiver

T = to_us(datetime.now(UTC))  # due at once for a worker on the real clock


def test_the_standalone_worker_delivers_and_the_cli_lists_dead_letters(
    tmp_path: Path, receiver: Receiver
) -> None:
    db = tmp_path / "d.db"
    store = open_store(f"sqlite:///{db}")
    items = [
        outbox.NewNotification(
            receiver.base,
            receiver.base + "/uss/v1/operational_intents",
            "operational_intent",
            f"e{i}",
            orjson.dumps({"n": i}).decode(),
        )
        for i in (1, 2)
    ]
    store.run(lambda s: outbox.add_notifications(s.conn, items, T))
    store.close()
    runner = CliRunner()
    args = ["--database", str(db), "--data-dir", str(tmp_path / "data")]

    result = runner.invoke(app, ["worker", "--once", *args])
    assert result.exit_code == 0, result.output
    assert receiver.bodies() == [{"n": 1}, {"n": 2}]

    receiver.status = 400
    store = open_store(f"sqlite:///{db}")
    store.run(lambda s: outbox.add_notifications(s.conn, items[:1], T))
    store.close()
    assert runner.invoke(app, ["worker", "--once", *args]).exit_code == 0

    result = runner.invoke(app, ["notifications", "--failed", "--json", *args])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("{")]
    dead = orjson.loads(line)
    assert (dead["status"], dead["entity_id"], dead["body"]) == ("failed", "e1", {"n": 1})
    assert "HTTP 400" in dead["last_error"]
    table = runner.invoke(app, ["notifications", "--failed", *args])
    assert "1 notification(s)" in table.output
