"""The race: sixteen parties fight over one S2 cell through two replicas (issue 6).

Every client plans operations on the same 90 m square (one level-13 cell) in time slots
drawn so that many of them collide. Two replicas on PostgreSQL (one server on SQLite)
take the writes. Whatever the interleaving, afterwards:

* no two stored live operations overlap (the exact 4D test on the stored shapes);
* every 2xx has its row, with the version it answered; every 409 left nothing behind;
* nothing answered 5xx or failed on the wire.

A store that checked conflicts outside the write transaction, or whose transactions
were not serializable across processes, lets two overlapping plans through here.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import httpx

from deconflict.geo.overlap import volumes_conflict
from deconflict.store.base import OperationQuery
from deconflict.store.sql import open_store

from .conftest import Server, cli_token, needs_pg, token

CLIENTS = 16
REQUESTS = 15
SLOTS = 120
"""Start minutes are drawn from this many; with 4-minute windows about half collide."""
BASE = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
REQUEST_TIMEOUT_S = 60.0


def rfc3339(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def body(start_minute: int) -> dict[str, Any]:
    lon, lat, d = 8.6801, 50.1101, 0.0008
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    t0 = BASE + timedelta(minutes=start_minute)
    return {
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100.0,
                "altitude_upper_m": 150.0,
                "time_start": rfc3339(t0),
                "time_end": rfc3339(t0 + timedelta(minutes=4)),
            }
        ]
    }


@dataclass(frozen=True)
class Outcome:
    op_id: str
    party: str
    status: int
    version: int | None


async def client(url: str, bearer: str, party: str, rng: random.Random, out: list[Outcome]) -> None:
    headers = {"Authorization": f"Bearer {bearer}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=REQUEST_TIMEOUT_S) as http:
        for k in range(REQUESTS):
            op_id = f"{party}-{k:02d}"
            r = await http.put(f"/v1/operations/{op_id}", json=body(rng.randrange(SLOTS)))
            version = r.json()["operation"]["version"] if r.status_code < 300 else None
            out.append(Outcome(op_id, party, r.status_code, version))


def race(urls: list[str], data_dir: Path, database: str) -> None:
    rng = random.Random(2018)
    parties = [f"party{i:02d}" for i in range(CLIENTS)]
    # One token the way an operator mints it; the rest by the same function in-process.
    tokens = {parties[0]: cli_token(data_dir, parties[0])}
    tokens |= {p: token(data_dir, p) for p in parties[1:]}
    outcomes: list[Outcome] = []

    async def all_clients() -> None:
        await asyncio.gather(
            *(
                client(urls[i % len(urls)], tokens[p], p, random.Random(rng.random()), outcomes)
                for i, p in enumerate(parties)
            )
        )

    asyncio.run(all_clients())
    assert len(outcomes) == CLIENTS * REQUESTS
    statuses = sorted({o.status for o in outcomes})
    assert set(statuses) <= {201, 409}, statuses
    accepted = {o.op_id: o for o in outcomes if o.status == 201}
    assert accepted and len(accepted) < len(outcomes), "the race should have winners and losers"

    store = open_store(database)
    try:
        with store.session() as s:
            stored = {x.operation.id: x for x in s.query(OperationQuery(limit=10_000))}
    finally:
        store.close()
    assert set(stored) == set(accepted), "a 2xx without its row, or a 409 that left one"
    for op_id, o in accepted.items():
        assert stored[op_id].version == o.version
        assert stored[op_id].operation.party == o.party
    for a, b in combinations(sorted(stored.values(), key=lambda x: x.operation.id), 2):
        for va in a.operation.volumes:
            for vb in b.operation.volumes:
                assert not volumes_conflict(va, vb), (a.operation.id, b.operation.id)


@needs_pg
def test_race_two_replicas_on_postgresql(
    tmp_path: Path, pg_schema: Callable[[], str], servers: Callable[[Path, str], Server]
) -> None:
    database = pg_schema()
    replicas = [servers(tmp_path, database), servers(tmp_path, database)]
    race([r.url for r in replicas], tmp_path, database)


def test_race_one_server_on_sqlite(tmp_path: Path, servers: Callable[[Path, str], Server]) -> None:
    database = f"sqlite:///{tmp_path / 'service.db'}"
    race([servers(tmp_path, database).url], tmp_path, database)
