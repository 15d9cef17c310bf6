"""A mixed write load through service replicas, a primary's loss, and the ledger that
proves nothing acknowledged was lost. Shared by the proofs (``test_failover.py``) and
``bench/ha_failover.py``, which prints the figures the proofs do not assert.

The load: a few clients per replica, each writing native operations (creations, and
replacing PUTs of its own earlier ones) and F3548 operational intent references
(creations). Every plan has a square of its own, so nothing conflicts and every write
the database takes is accepted; a 503 (the database gap) is the only other answer the
service may give. The ledger keeps what each 2xx acknowledged: a native operation's
version and content, an intent's OVN.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from deploy.ha.cluster import Cluster, Node

from deconflict.model.times import rfc3339
from tests.e2e.replicas.conftest import DECONFLICT

START = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
"""Every plan's window: inside any plan horizon the service may be configured with."""
HANG_S = 10.0
"""A request outstanding this long is a hang: the replicas' budget (``--database-timeout``)
is 3 s, so an answer, a 503 at worst, is due well before."""
UPDATE_SHARE = 0.25
INTENT_SHARE = 0.4


def square(n: int) -> list[list[float]]:
    """Plan ``n``'s own square: 0.02 degrees apart, so no two plans ever conflict."""
    lon, lat, d = 5.0 + (n % 80) * 0.02, 44.0 + (n // 80) * 0.02, 0.002
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def native_body(n: int, upper_m: float) -> dict[str, Any]:
    return {
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [square(n)]},
                "altitude_lower_m": 100.0,
                "altitude_upper_m": upper_m,
                "time_start": rfc3339(START),
                "time_end": rfc3339(START + timedelta(minutes=30)),
            }
        ]
    }


def intent_body(n: int) -> dict[str, Any]:
    def alt(v: float) -> dict[str, Any]:
        return {"value": v, "reference": "W84", "units": "M"}

    return {
        "extents": [
            {
                "volume": {
                    "outline_polygon": {
                        "vertices": [{"lng": x, "lat": y} for x, y in square(n)[:-1]]
                    },
                    "altitude_lower": alt(100.0),
                    "altitude_upper": alt(150.0),
                },
                "time_start": {"value": rfc3339(START), "format": "RFC3339"},
                "time_end": {
                    "value": rfc3339(START + timedelta(minutes=30)),
                    "format": "RFC3339",
                },
            }
        ],
        "key": [],
        "state": "Accepted",
        "uss_base_url": "https://ha-uss.example.com",
    }


@dataclass(frozen=True)
class Answer:
    kind: str
    """native, native-update or intent."""
    key: str
    status: int
    """The HTTP status, or 0 for a request that got no answer within ``HANG_S``."""
    sent: float
    done: float
    retry_after: str | None


@dataclass
class Ledger:
    """Everything the replicas answered, and what the 2xx answers acknowledged."""

    answers: list[Answer] = field(default_factory=list)
    native: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Native operation id -> (version, altitude_upper_m of that version)."""
    intents: dict[str, str] = field(default_factory=dict)
    """F3548 intent id -> OVN."""

    def acked(self) -> int:
        return len(self.native) + len(self.intents)

    def first_write_after(self, t: float) -> float | None:
        """Seconds from ``t`` to the end of the first 2xx write sent after ``t``."""
        done = [a.done for a in self.answers if a.sent >= t and 200 <= a.status < 300]
        return min(done) - t if done else None

    def statuses(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for a in self.answers:
            out[a.status] = out.get(a.status, 0) + 1
        return out


class WriteLoad:
    """Clients writing through ``urls`` in a thread of their own until ``stop``."""

    def __init__(
        self,
        urls: list[str],
        native_bearer: str,
        uss_bearer: str,
        clients_per_replica: int = 2,
        seed: int = 19,
    ) -> None:
        self.urls = urls
        self.bearers = {"native": native_bearer, "intent": uss_bearer}
        self.clients = clients_per_replica * len(urls)
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self._n = itertools.count(1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._error: BaseException | None = None

    def start(self) -> WriteLoad:
        self._thread.start()
        return self

    def stop(self) -> Ledger:
        """Stop the clients (again is harmless) and hand over the ledger."""
        if self._stop.is_set():
            return self.ledger
        self._stop.set()
        self._thread.join(HANG_S * 2)
        assert not self._thread.is_alive(), "the load did not stop"
        if self._error is not None:
            raise self._error
        return self.ledger

    def wait_acks(self, more: int, timeout_s: float) -> None:
        """Block until ``more`` writes beyond the present ones were acknowledged."""
        target = len([a for a in self.ledger.answers if a.status < 300]) + more
        deadline = time.monotonic() + timeout_s
        while len([a for a in self.ledger.answers if 200 <= a.status < 300]) < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {more} writes acknowledged in {timeout_s} s")
            time.sleep(0.05)

    def wait_failover(self, failure: Failure, timeout_s: float) -> float | None:
        """``failure.failover_s``, waiting up to ``timeout_s`` after the kill for it;
        ``None`` if no write succeeded by then."""
        deadline = failure.killed + timeout_s
        while time.monotonic() < deadline:
            took = failure.failover_s(self.ledger)
            if took is not None:
                return took
            time.sleep(0.05)
        return failure.failover_s(self.ledger)

    async def _main(self) -> None:
        try:
            await asyncio.gather(
                *(
                    self._client(self.urls[i % len(self.urls)], random.Random(self.rng.random()))
                    for i in range(self.clients)
                )
            )
        except BaseException as exc:  # surfaced by stop()
            self._error = exc

    async def _client(self, url: str, rng: random.Random) -> None:
        mine: list[str] = []
        async with httpx.AsyncClient(base_url=url, timeout=HANG_S) as http:
            while not self._stop.is_set():
                roll = rng.random()
                if roll < INTENT_SHARE:
                    n = next(self._n)
                    key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    kind, path, body = (
                        "intent",
                        f"/dss/v1/operational_intent_references/{key}",
                        intent_body(n),
                    )
                    upper = 0.0
                elif mine and roll < INTENT_SHARE + UPDATE_SHARE:
                    key = rng.choice(mine)
                    upper = self.ledger.native[key][1] + 1.0
                    kind, path = "native-update", f"/v1/operations/{key}"
                    body = native_body(int(key.split("-")[1]), upper)
                else:
                    n = next(self._n)
                    key, upper = f"ha-{n}", 150.0
                    kind, path, body = "native", f"/v1/operations/{key}", native_body(n, upper)
                bearer = self.bearers["intent" if kind == "intent" else "native"]
                sent = time.monotonic()
                try:
                    r = await http.put(
                        path, json=body, headers={"Authorization": f"Bearer {bearer}"}
                    )
                except httpx.TimeoutException:
                    self.ledger.answers.append(Answer(kind, key, 0, sent, time.monotonic(), None))
                    continue
                done = time.monotonic()
                self.ledger.answers.append(
                    Answer(kind, key, r.status_code, sent, done, r.headers.get("retry-after"))
                )
                if r.status_code in (200, 201):
                    if kind == "intent":
                        self.ledger.intents[key] = r.json()["operational_intent_reference"]["ovn"]
                    else:
                        version = r.json()["operation"]["version"]
                        if version > self.ledger.native.get(key, (0, 0.0))[0]:
                            self.ledger.native[key] = (version, upper)
                        if kind == "native":
                            mine.append(key)
                else:
                    await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Loss:
    """Acknowledged writes the database does not hold as acknowledged."""

    missing: list[str]
    stale: list[str]

    def count(self) -> int:
        return len(self.missing) + len(self.stale)


def lost_writes(ledger: Ledger, dsn: str) -> Loss:
    """What the node at ``dsn`` (one PostgreSQL node, primary or hot standby: plain SQL,
    so a standby can answer) lacks of the ledger: an operation gone or below its
    acknowledged version, or at it with other content (a later, unacknowledged update
    may have committed, so above is kept), an intent gone or with another OVN."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        ops = {
            op_id: (version, upper)
            for op_id, version, upper in conn.execute(
                "SELECT id, version, altitude_upper_m FROM operations"
            )
        }
        ovns = dict(conn.execute("SELECT operation_id, ovn FROM dss_intents").fetchall())
    missing: list[str] = []
    stale: list[str] = []
    for op_id, (version, upper) in sorted(ledger.native.items()):
        if op_id not in ops:
            missing.append(op_id)
        elif ops[op_id][0] < version or (ops[op_id][0] == version and ops[op_id][1] != upper):
            stale.append(op_id)
    for intent_id, ovn in sorted(ledger.intents.items()):
        if intent_id not in ovns:
            missing.append(intent_id)
        elif ovns[intent_id] != ovn:
            stale.append(intent_id)
    return Loss(missing, stale)


def create_database(cluster: Cluster, name: str) -> str:
    """A fresh database on the cluster; its multi-host URL."""
    leader = cluster.leader()
    assert leader is not None
    with psycopg.connect(cluster.libpq_dsn(leader, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(name)


@dataclass(frozen=True)
class Failure:
    node: Node
    killed: float
    """When PostgreSQL was killed (``time.monotonic``)."""
    gone: float
    """When the node was wholly gone (Patroni stopped, no PostgreSQL left running)."""

    def failover_s(self, ledger: Ledger) -> float | None:
        """From the kill to the first acknowledged write sent once the node was gone
        (a write between the two may have reached a PostgreSQL Patroni restarted in
        place, which is recovery but not failover)."""
        took = ledger.first_write_after(self.gone)
        return None if took is None else took + (self.gone - self.killed)


def fail_primary(cluster: Cluster, patroni_signal: signal.Signals) -> Failure:
    """``kill -9`` the primary's PostgreSQL under load, then stop its Patroni with
    ``patroni_signal``.

    SIGTERM: Patroni shuts down whatever it restarted meanwhile and hands the leader key
    over at once. SIGKILL: the machine is gone, so a PostgreSQL Patroni restarted dies
    with it (a postmaster runs in a session of its own and would outlive Patroni), and
    the leader key is left to expire (Patroni's TTL).
    """
    leader = cluster.leader()
    assert leader is not None, "no leader before the kill"
    killed = time.monotonic()
    cluster.kill_postgres(leader)
    cluster.stop_patroni(leader, patroni_signal)
    cluster.kill_postgres(leader)
    return Failure(leader, killed, time.monotonic())


def cli(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A ``deconflict`` maintenance command, as an operator runs it."""
    more = ["--data-dir", str(data_dir)] if data_dir is not None else []
    command = os.environ.get("DECONFLICT_TEST_SERVE", DECONFLICT).split()
    return subprocess.run([*command, *args, *more], capture_output=True, text=True, timeout=120)
