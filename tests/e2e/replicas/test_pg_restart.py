"""PostgreSQL stops and starts again under load: 503s meanwhile, then recovery unaided.

The test runs a throwaway PostgreSQL cluster of its own (Debian's binaries, initdb into
a temporary directory, a free port) so that the shared server is never stopped. While
four clients keep writing through a real ``deconflict serve``, the cluster is stopped
for a while and started again. Requests answered while it is down must be 503 (with
Retry-After), not 500 and not a hang; once it is back the same server process must
accept writes again without a restart, and every acknowledged write must be stored.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.store.integrity import check
from deconflict.store.sql import open_store
from tests.e2e.replicas.conftest import Server, token
from tests.store.pg_nodes import BINARIES, Node

CLIENTS = 4
DOWN_S = 2.0
REQUEST_TIMEOUT_S = 20.0
"""A safety net: a request outstanding this long is a hang, and fails the test."""
RECOVERY_TIMEOUT_S = 60.0
HUNG_TIMEOUT_S = 10.0
"""How long a request may wait on a database that does not answer before the test calls
it a hang (a 503 within a few seconds is the expected behaviour)."""
DATABASE_TIMEOUT_S = 3.0
"""The server's ``--database-timeout``: well inside ``HUNG_TIMEOUT_S``."""


class Cluster(Node):
    """A private PostgreSQL (``tests/store/pg_nodes.py``): ``initdb`` once, then
    ``start``/``stop`` at will, reached with a short connect timeout."""

    @property
    def url(self) -> str:
        # connect_timeout: a connection attempt to a stopped or unreachable server
        # must fail fast for the service to answer 503 instead of hanging.
        return f"postgresql+psycopg://postgres@{self.host}/postgres?connect_timeout=3"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not BINARIES:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    c = Cluster()
    c.start()
    yield c
    c.destroy()


@dataclass(frozen=True)
class Answer:
    started: str
    """The database's state when the request was sent: up, stopping, down, starting, back."""
    ended: str
    status: int
    op_id: str
    version: int | None


def body(n: int) -> dict[str, Any]:
    lon, lat, d = 5.0 + (n % 60) * 0.02, 45.0 + (n // 60) * 0.02, 0.002
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100.0,
                "altitude_upper_m": 150.0,
                "time_start": "2030-01-01T10:00:00Z",
                "time_end": "2030-01-01T11:00:00Z",
            }
        ]
    }


def test_service_answers_503_while_postgresql_is_down_and_recovers(
    tmp_path: Path, cluster: Cluster, servers: Any
) -> None:
    server: Server = servers(tmp_path, cluster.url)
    bearer = token(tmp_path, "restart-test")
    state = {"db": "up", "n": 0}
    answers: list[Answer] = []
    stop = asyncio.Event()

    async def client() -> None:
        headers = {"Authorization": f"Bearer {bearer}"}
        async with httpx.AsyncClient(
            base_url=server.url, headers=headers, timeout=REQUEST_TIMEOUT_S
        ) as http:
            while not stop.is_set():
                state["n"] += 1
                op_id, started = f"op-{state['n']}", state["db"]
                r = await http.put(f"/v1/operations/{op_id}", json=body(int(state["n"])))
                version = r.json()["operation"]["version"] if r.status_code < 300 else None
                answers.append(Answer(started, str(state["db"]), r.status_code, op_id, version))
                if r.status_code == 503:
                    assert r.headers.get("retry-after")
                    await asyncio.sleep(0.05)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
        await asyncio.sleep(1.0)
        state["db"] = "stopping"
        await loop.run_in_executor(None, cluster.stop)
        state["db"] = "down"
        await asyncio.sleep(DOWN_S)
        state["db"] = "starting"
        await loop.run_in_executor(None, cluster.start)
        state["db"] = "back"
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        while time.monotonic() < deadline:
            recent = [a for a in answers if a.started == "back"]
            if len(recent) >= 20 and all(a.status < 300 for a in recent[-10:]):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*clients)

    asyncio.run(scenario())

    assert not [a for a in answers if a.status not in (200, 201, 503)], "only 2xx and 503"
    down = [a for a in answers if a.started == "down" and a.ended == "down"]
    assert down and all(a.status == 503 for a in down), "while down, every answer is a 503"
    assert all(a.status < 300 for a in answers if a.started == "up" and a.ended == "up")
    back = [a for a in answers if a.started == "back"]
    assert back[-10:] and all(a.status < 300 for a in back[-10:]), "recovered by itself"

    server.stop()
    store = open_store(cluster.url)
    try:
        with store.session() as s:
            for a in answers:
                if a.status < 300:
                    got = s.get(a.op_id)
                    assert got is not None and got.version == a.version, a
        assert check(store) == []
    finally:
        store.close()


def test_service_answers_503_when_postgresql_stops_answering(
    tmp_path: Path, cluster: Cluster, servers: Any
) -> None:
    """Paused processes: the kernel still ACKs, so no TCP timeout fires, and the
    server's own statement_timeout cannot run; only the client's deadline can end it."""
    server: Server = servers(tmp_path, cluster.url, "--database-timeout", str(DATABASE_TIMEOUT_S))
    headers = {"Authorization": f"Bearer {token(tmp_path, 'pause-test')}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=HUNG_TIMEOUT_S) as http:
        assert http.put("/v1/operations/before", json=body(0)).status_code == 201
        pids = cluster.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            r = http.put("/v1/operations/during", json=body(1))
        except httpx.TimeoutException:
            pytest.fail(f"no answer within {HUNG_TIMEOUT_S} s while the database is paused")
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        assert r.status_code == 503
        assert http.put("/v1/operations/after", json=body(2)).status_code == 201
