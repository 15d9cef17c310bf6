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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from deconflict.core.ports import OperationQuery
from deconflict.geo.overlap import volumes_conflict
from deconflict.model.times import rfc3339
from deconflict.store.schema_dss import dss_intents
from deconflict.store.sql import open_store
from tests.e2e.replicas.conftest import Server, cli_token, needs_pg, token

CLIENTS = 16
REQUESTS = 15
SLOTS = 120
"""Start minutes are drawn from this many; with 4-minute windows about half collide."""
BASE = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
REQUEST_TIMEOUT_S = 60.0


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


# --------------------------------------------------------------------- the DSS variant


def dss_body(start_minute: int, key: list[str], uss: str) -> dict[str, Any]:
    lon, lat, d = 8.6801, 50.1101, 0.0008
    corners = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)]
    t0 = BASE + timedelta(minutes=start_minute)

    def alt(v: float) -> dict[str, Any]:
        return {"value": v, "reference": "W84", "units": "M"}

    def when(t: datetime) -> dict[str, str]:
        return {"value": rfc3339(t), "format": "RFC3339"}

    return {
        "extents": [
            {
                "volume": {
                    "outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in corners]},
                    "altitude_lower": alt(100.0),
                    "altitude_upper": alt(150.0),
                },
                "time_start": when(t0),
                "time_end": when(t0 + timedelta(minutes=4)),
            }
        ],
        "key": key,
        "state": "Accepted",
        "uss_base_url": f"https://{uss}.example.com",
    }


@dataclass(frozen=True)
class DssOutcome:
    intent_id: str
    status: int
    ovn: str | None
    key: frozenset[str]


async def dss_client(
    url: str,
    bearer: str,
    uss: str,
    rng: random.Random,
    directory: dict[str, str],
    out: list[DssOutcome],
) -> None:
    """A USS: its key holds the OVNs it had heard of (from the other USSs, through the
    shared ``directory``) when its previous request returned; sometimes none at all."""
    headers = {"Authorization": f"Bearer {bearer}"}
    known = dict(directory)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=REQUEST_TIMEOUT_S) as http:
        for _ in range(REQUESTS):
            intent_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            key = sorted(known.values()) if rng.random() < 0.7 else []
            r = await http.put(
                f"/dss/v1/operational_intent_references/{intent_id}",
                json=dss_body(rng.randrange(SLOTS), key, uss),
            )
            ovn = None
            if r.status_code == 201:
                ovn = r.json()["operational_intent_reference"]["ovn"]
                directory[intent_id] = ovn
            out.append(DssOutcome(intent_id, r.status_code, ovn, frozenset(key)))
            known = dict(directory)


def dss_race(urls: list[str], data_dir: Path, database: str) -> None:
    rng = random.Random(3548)
    usses = [f"uss{i:02d}" for i in range(CLIENTS)]
    tokens = {u: token(data_dir, u, "utm.strategic_coordination") for u in usses}
    directory: dict[str, str] = {}
    outcomes: list[DssOutcome] = []

    async def all_clients() -> None:
        await asyncio.gather(
            *(
                dss_client(
                    urls[i % len(urls)],
                    tokens[u],
                    u,
                    random.Random(rng.random()),
                    directory,
                    outcomes,
                )
                for i, u in enumerate(usses)
            )
        )

    asyncio.run(all_clients())
    statuses = sorted({o.status for o in outcomes})
    assert set(statuses) <= {201, 409}, statuses
    accepted = {o.intent_id: o for o in outcomes if o.status == 201}
    assert accepted and len(accepted) < len(outcomes), "the race should have winners and losers"

    store = open_store(database)
    try:
        with store.session() as s:
            stored = {x.operation.id: x for x in s.query(OperationQuery(limit=10_000))}
            ovns = dict(s.conn.execute(select(dss_intents.c.operation_id, dss_intents.c.ovn)).all())
    finally:
        store.close()
    assert set(stored) == set(accepted) == set(ovns), "a 2xx without its row, or a 409 with one"
    for intent_id, o in accepted.items():
        assert ovns[intent_id] == o.ovn
    for a, b in combinations(sorted(accepted), 2):
        overlap = any(
            volumes_conflict(va, vb)
            for va in stored[a].operation.volumes
            for vb in stored[b].operation.volumes
        )
        if overlap:
            # Allowed only when the later writer proved it had seen the earlier one.
            assert ovns[a] in accepted[b].key or ovns[b] in accepted[a].key, (a, b)


@needs_pg
def test_dss_race_two_replicas_on_postgresql(
    tmp_path: Path, pg_schema: Callable[[], str], servers: Callable[[Path, str], Server]
) -> None:
    database = pg_schema()
    replicas = [servers(tmp_path, database), servers(tmp_path, database)]
    dss_race([r.url for r in replicas], tmp_path, database)


def test_dss_race_one_server_on_sqlite(
    tmp_path: Path, servers: Callable[[Path, str], Server]
) -> None:
    database = f"sqlite:///{tmp_path / 'service.db'}"
    dss_race([servers(tmp_path, database).url], tmp_path, database)


# ------------------------------------------------- false conflicts between far-apart writers


def spread_body(n: int) -> dict[str, Any]:
    """Operation ``n`` alone in its square, 0.02 degrees from the next: no conflict."""
    lon, lat, d = 5.0 + (n % 40) * 0.02, 45.0 + (n // 40) * 0.02, 0.002
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    t0 = BASE
    return {
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100.0,
                "altitude_upper_m": 150.0,
                "time_start": rfc3339(t0),
                "time_end": rfc3339(t0 + timedelta(hours=1)),
            }
        ]
    }


@needs_pg
def test_far_apart_writers_never_get_503_on_postgresql(
    tmp_path: Path, pg_schema: Callable[[], str], servers: Callable[[Path, str], Server]
) -> None:
    """One party (as a USS placing many flights at once) on sixteen connections: its
    writes share no cell, and must share no row either (its event log's counter was
    one, which made them abort each other until the retry budget ran out)."""
    database = pg_schema()
    replicas = [servers(tmp_path, database), servers(tmp_path, database)]
    bearer = token(tmp_path, "spread")
    statuses: list[int] = []

    async def writer(url: str, first: int) -> None:
        headers = {"Authorization": f"Bearer {bearer}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
            for n in range(first, first + 2 * REQUESTS):
                r = await http.put(f"/v1/operations/spread-{n}", json=spread_body(n))
                statuses.append(r.status_code)

    async def all_writers() -> None:
        await asyncio.gather(
            *(writer(replicas[i % 2].url, i * 2 * REQUESTS) for i in range(CLIENTS))
        )

    asyncio.run(all_writers())
    assert sorted(set(statuses)) == [201], {s: statuses.count(s) for s in set(statuses)}
