"""Notifications and event streams across replicas (issue 6, part 2).

Two ``deconflict serve`` processes on one PostgreSQL database, each running its own
delivery worker, as an operator deploys them behind a load balancer. A party's event
stream must carry what happened through the other replica (each replica polls the
shared event log), and a USS notification must reach its receiver exactly once
however many workers share the outbox (rows are leased before they are sent).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from deconflict.store.schema_notify import notify_outbox
from deconflict.store.sql import open_store
from tests.e2e.replicas.conftest import Server, free_port, needs_pg, token
from tests.e2e.replicas.test_race import body, dss_body

SC = "utm.strategic_coordination"
SAFETY_S = 30.0
"""A hang guard only: what the tests wait for arrives within a poll interval or two."""
INTENTS = 6


class Receiver:
    """A USS's notification endpoint that records every POST it gets."""

    def __init__(self) -> None:
        self.port = free_port()
        self.paths: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                with receiver._lock:
                    receiver.paths.append(self.path)
                    receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.bodies)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def wait_for(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SAFETY_S
    while not done():
        assert time.monotonic() < deadline, f"still waiting for {what} after {SAFETY_S} s"
        time.sleep(0.05)


def bearer(data_dir: Path, sub: str, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(data_dir, sub, *scopes)}"}


@needs_pg
def test_a_stream_on_one_replica_carries_an_event_written_through_the_other(
    tmp_path: Path, pg_schema: Callable[[], str], servers: Callable[..., Server]
) -> None:
    database = pg_schema()
    a, b = servers(tmp_path, database), servers(tmp_path, database)
    headers = bearer(tmp_path, "alpha", "deconflict.plan", "deconflict.read")
    with httpx.stream("GET", f"{b.url}/v1/events", headers=headers, timeout=SAFETY_S) as stream:
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")  # the stream is open on B
        r = httpx.put(f"{a.url}/v1/operations/via-a", json=body(0), headers=headers)
        assert r.status_code == 201, r.text
        sent = time.monotonic()
        data = next(x for x in lines if x.startswith("data: "))
        event = orjson.loads(data.removeprefix("data: "))
        print(f"event on B {time.monotonic() - sent:.3f} s after the write on A returned")
    assert event["kind"] == "operation.created"
    assert event["data"]["operation_id"] == "via-a"


@needs_pg
def test_a_notification_is_delivered_once_with_a_worker_on_each_replica(
    tmp_path: Path,
    pg_schema: Callable[[], str],
    servers: Callable[..., Server],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The notifications here are the ones the service relays for a USS's own changes.
    monkeypatch.setenv("DECONFLICT_DSS__RELAY_USS_NOTIFICATIONS", "true")
    database = pg_schema()
    a, b = servers(tmp_path, database), servers(tmp_path, database)
    sub_id = str(uuid.uuid4())
    area = dss_body(0, [], "uss-a")["extents"][0]
    area["time_end"]["value"] = dss_body(200, [], "uss-a")["extents"][0]["time_end"]["value"]
    r = httpx.put(
        f"{b.url}/dss/v1/subscriptions/{sub_id}",
        json={
            "extents": area,
            "uss_base_url": receiver.base,
            "notify_for_operational_intents": True,
            "notify_for_constraints": False,
        },
        headers=bearer(tmp_path, "uss-a", SC),
    )
    assert r.status_code == 200, r.text
    intents = [str(uuid.uuid4()) for _ in range(INTENTS)]
    writer = bearer(tmp_path, "uss-b", SC)
    for k, intent_id in enumerate(intents):  # disjoint times: no conflicts among them
        r = httpx.put(
            f"{a.url}/dss/v1/operational_intent_references/{intent_id}",
            json=dss_body(10 * k, [], "uss-b"),
            headers=writer,
        )
        assert r.status_code == 201, r.text

    def all_delivered() -> bool:
        store = open_store(database)
        try:
            with store.session() as s:
                statuses = s.conn.execute(select(notify_outbox.c.status)).scalars().all()
        finally:
            store.close()
        return len(statuses) == INTENTS and set(statuses) == {"delivered"}

    wait_for(all_delivered, "both workers to finish the outbox")
    got = [x["operational_intent_id"] for x in receiver.received()]
    assert sorted(got) == sorted(intents), "each notification exactly once"
