"""The crash: SIGKILL a loaded server ten times; every acknowledged write survives whole.

Eight clients create and update operations as fast as the server takes them; at a
random moment the server process is killed (no shutdown handler runs, transactions in
flight die with their connections) and started again on the same database. After ten
rounds every write that was answered 2xx must be there at (at least) the acknowledged
version, with the acknowledged content, and ``integrity.check`` must find no partial
write: no volume without cells, no operation without volumes, no stale extent.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import httpx

from deconflict.store.integrity import check
from deconflict.store.sql import open_store
from tests.e2e.replicas.conftest import Server, token

ROUNDS = 10
CLIENTS = 8
ACKS_BEFORE_KILL = (5, 40)
"""Each round's kill comes once this many writes (drawn uniformly) were acknowledged in
the round, then after a random 0-50 ms, so that it lands in the middle of requests.
Counting acknowledgements rather than seconds keeps the rounds meaningful on a slow or
busy machine."""
ROUND_TIMEOUT_S = 120.0
"""Safety net only: a round that cannot reach its acknowledgements fails the test."""
UPDATE_SHARE = 0.3


def body(n: int, upper_m: float) -> dict[str, Any]:
    """Operation ``n`` in a square of its own (0.02 degrees apart: never a conflict)."""
    lon, lat, d = 5.0 + (n % 60) * 0.02, 45.0 + (n // 60) * 0.02, 0.002
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100.0,
                "altitude_upper_m": upper_m,
                "time_start": "2030-01-01T10:00:00Z",
                "time_end": "2030-01-01T11:00:00Z",
            },
            {
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "radius_m": 150.0,
                "altitude_lower_m": 0.0,
                "altitude_upper_m": 50.0,
                "time_start": "2030-01-01T11:00:00Z",
                "time_end": "2030-01-01T11:30:00Z",
            },
        ]
    }


class Ledger:
    """What the server acknowledged: id -> (version, altitude_upper_m of that version)."""

    def __init__(self) -> None:
        self.acked: dict[str, tuple[int, float]] = {}
        self.next_n = 0
        self.acks = 0
        """Acknowledgements so far, all rounds."""

    def new_n(self) -> int:
        self.next_n += 1
        return self.next_n


async def writer(
    url: str, bearer: str, ledger: Ledger, rng: random.Random, stop: asyncio.Event
) -> None:
    headers = {"Authorization": f"Bearer {bearer}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        while not stop.is_set():
            if ledger.acked and rng.random() < UPDATE_SHARE:
                op_id = rng.choice(sorted(ledger.acked))
                n = int(op_id.split("-")[1])
                upper = ledger.acked[op_id][1] + 1.0
            else:
                n = ledger.new_n()
                op_id, upper = f"op-{n}", 150.0
            try:
                r = await http.put(f"/v1/operations/{op_id}", json=body(n, upper))
            except httpx.HTTPError:
                return  # the server died under us: the outcome of this write is unknown
            if r.status_code == 503:
                # Not acknowledged, so nothing to prove about it. (That far-apart writers
                # never see one is test_race's far-apart proof.)
                await asyncio.sleep(0.05)
                continue
            assert r.status_code in (200, 201), (r.status_code, r.text)
            version = r.json()["operation"]["version"]
            ledger.acks += 1
            if version > ledger.acked.get(op_id, (0, 0.0))[0]:
                ledger.acked[op_id] = (version, upper)


async def round_of_load(server: Server, bearer: str, ledger: Ledger, rng: random.Random) -> None:
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(writer(server.url, bearer, ledger, random.Random(rng.random()), stop))
        for _ in range(CLIENTS)
    ]
    target = ledger.acks + rng.randint(*ACKS_BEFORE_KILL)
    async with asyncio.timeout(ROUND_TIMEOUT_S):
        while ledger.acks < target:
            await asyncio.sleep(0.005)
    await asyncio.sleep(rng.uniform(0.0, 0.05))
    await asyncio.get_running_loop().run_in_executor(None, server.kill)
    stop.set()
    await asyncio.gather(*tasks)


def test_sigkill_loses_no_acknowledged_write(
    tmp_path: Path, database_url: str, servers: Any
) -> None:
    server: Server = servers(tmp_path, database_url)
    bearer = token(tmp_path, "crash-test")
    ledger = Ledger()
    rng = random.Random(6)
    for k in range(ROUNDS):
        if k:
            server.start()
        asyncio.run(round_of_load(server, bearer, ledger, rng))
    assert any(v > 1 for v, _ in ledger.acked.values()), "updates should have been acknowledged"

    store = open_store(database_url)
    try:
        with store.session() as s:
            for op_id, (version, upper) in sorted(ledger.acked.items()):
                got = s.get(op_id)
                assert got is not None, f"acknowledged {op_id} v{version} is gone"
                # A later, unacknowledged update may have committed just before the kill.
                assert got.version >= version, (op_id, got.version, version)
                if got.version == version:
                    assert got.operation.volumes[0].altitude.upper_m == upper
        assert check(store) == []
    finally:
        store.close()
