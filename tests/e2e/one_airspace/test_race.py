"""The race, mixed: native parties and F3548 USSs fight over one S2 cell (issue 14).

Native clients (``PUT /v1/operations``) and USS clients (``/dss/v1``) plan on the same
90 m square (one level-13 cell), in time slots drawn so that many plans overlap, all at
once, against real ``deconflict serve`` processes: one on SQLite, two replicas sharing
one PostgreSQL schema. Every party and USS has a priority grant, so the rules decide
both ways across the two APIs. The USSs behave as F3548 asks: query, learn each OVN
from the reference's manager (the service itself for a native operation, through
``GET {uss_base_url}/uss/v1/operational_intents/{id}``; the other USSs through a shared
directory that stands in for their USS APIs), plan with that key, and on a 409 that
lists what the key lacks learn it and try again.

Afterwards, whatever the interleaving:

* nothing answered 5xx or failed on the wire;
* every 2xx has its operation or intent (the operator's ``GET /v1/operations`` and the
  USSs' F3548 query agree), and nothing refused is there;
* for every pair of live plans that overlap exactly (the planner's own 4D test on the
  stored volumes), exactly one of the two *saw* the other when it was written, and the
  one that saw it was allowed to overlap it. A native write saw what its 201 reports as
  conflicts; a USS write saw what its key holds the OVN of. The later writer must be the
  one that saw: it found the earlier one in the same transaction, so a store whose
  transactions were not serializable (neither saw the other) fails here. What the later
  writer was allowed is ``core.rules.judge`` at the stored priorities (a USS's intent
  stands at its grant) whenever a native operation is in the pair; between two USSs,
  F3548's own model: the key alone.

Why this would fail without the one-airspace rules: if native operations were not
references, a USS that planned after one would neither key its OVN nor be refused, and
the native operation's report would not list the later intent either: neither saw the
other. If the rules after the key were dropped, a USS granted priority 0 that keyed an
equal or higher native operation would be accepted, and ``judge`` of that pair blocks.
The test also demands that the race produced such refusals and such mixed overlaps, so
a run that never exercised the rules cannot pass quietly.
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.api.wire import OperationIn
from deconflict.core.report import volume_overlaps
from deconflict.core.rules import Verdict, judge
from deconflict.model.operation import Operation
from deconflict.model.times import rfc3339
from deconflict.settings import EqualPriorityPolicy
from tests.e2e.replicas.conftest import Server, needs_pg, token

SC = "utm.strategic_coordination"
OIR = "/dss/v1/operational_intent_references"
POLICY = EqualPriorityPolicy.REJECT
"""The service's default equal-priority rule, which the servers here run with."""

NATIVE_GRANTS = {"nat-a": 3, "nat-b": 3, "nat-c": 3}
"""Native parties and their highest priority; each operation draws one in 0..max."""
USS_GRANTS = {"uss-low": 0, "uss-mid": 2, "uss-high": 4}
"""USSs and their grant: below, among and above the native priorities."""
CLIENTS_PER_NAME = 2
WRITES_PER_CLIENT = 10
SPAN_S = 2400
"""Start seconds are drawn, all different, from this many: with 4-minute plans each one
overlaps about a fifth of the others."""
DURATION_S = 240
RULE_REFUSAL = re.compile(
    r"operational intent (?P<ref>[0-9a-f-]{36}) of priority (?P<priority>-?\d+)"
)
"""How a rule refusal names the native reference it protects and that one's priority."""
USS_ATTEMPTS = 8
"""A USS keys what it can learn, and learns again from each 409 that lists more."""
BASE = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
REQUEST_TIMEOUT_S = 60.0
LNG, LAT, D = 8.6801, 50.1101, 0.0008


def window(start_s: int) -> tuple[datetime, datetime]:
    t0 = BASE + timedelta(seconds=start_s)
    return t0, t0 + timedelta(seconds=DURATION_S)


def corners() -> list[tuple[float, float]]:
    return [(LNG, LAT), (LNG + D, LAT), (LNG + D, LAT + D), (LNG, LAT + D)]


def native_body(start_s: int, priority: int) -> dict[str, Any]:
    ring = [[x, y] for x, y in corners()]
    t0, t1 = window(start_s)
    return {
        "priority": priority,
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "altitude_lower_m": 100.0,
                "altitude_upper_m": 150.0,
                "time_start": rfc3339(t0),
                "time_end": rfc3339(t1),
            }
        ],
    }


def extent(t0: datetime, t1: datetime) -> dict[str, Any]:
    def alt(v: float) -> dict[str, Any]:
        return {"value": v, "reference": "W84", "units": "M"}

    return {
        "volume": {
            "outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in corners()]},
            "altitude_lower": alt(100.0),
            "altitude_upper": alt(150.0),
        },
        "time_start": {"value": rfc3339(t0), "format": "RFC3339"},
        "time_end": {"value": rfc3339(t1), "format": "RFC3339"},
    }


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Write:
    """One plan as its client made it, and what the service answered at last."""

    kind: str
    """``native`` or ``uss``."""
    id: str
    party: str
    priority: int
    """Asked for (native), or the USS's grant."""
    start_s: int
    status: int = 0
    body: Any = None
    key: frozenset[str] = frozenset()
    """The key of the USS's last PUT."""
    attempts: int = 0
    ovn: str | None = None

    def overlap_window(self, other: Write) -> tuple[datetime, datetime] | None:
        a0, a1 = window(self.start_s)
        b0, b1 = window(other.start_s)
        lo, hi = max(a0, b0), min(a1, b1)
        return (lo, hi) if lo < hi else None


@dataclass
class Race:
    urls: list[str]
    tokens: dict[str, str]
    writes: list[Write] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    """Every answer to every request: (what, status)."""
    directory: dict[str, str] = field(default_factory=dict)
    """USS intent id -> OVN, as each managing USS would serve it from its USS API."""
    native_ovns: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Native reference id -> (OVN, time_start) as the service served its details."""
    rule_refusals: list[Write] = field(default_factory=list)
    """USS PUTs with a complete key refused by the rules (409, nothing missing)."""

    def answered(self, what: str, r: httpx.Response) -> httpx.Response:
        self.statuses.append((what, r.status_code))
        return r


def headers(bearer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer}"}


def payload(r: httpx.Response) -> Any:
    """The answer's JSON; its text when it has none (a 5xx from a proxy, say), so the
    status check, not a decode error, reports it."""
    try:
        return r.json()
    except ValueError:
        return r.text


async def native_client(race: Race, url: str, party: str, plans: list[Write]) -> None:
    async with httpx.AsyncClient(
        base_url=url, headers=headers(race.tokens[party]), timeout=REQUEST_TIMEOUT_S
    ) as http:
        for w in plans:
            r = race.answered(
                "native put",
                await http.put(f"/v1/operations/{w.id}", json=native_body(w.start_s, w.priority)),
            )
            w.status, w.body, w.attempts = r.status_code, payload(r), 1
            race.writes.append(w)


async def learn(race: Race, http: httpx.AsyncClient, ref: dict[str, Any], me: str) -> str | None:
    """The OVN of ``ref``, from its manager: the service for a native operation."""
    if ref["manager"] == me:
        return str(ref["ovn"])
    if ref["id"] in race.directory:
        return race.directory[ref["id"]]
    if ref["manager"] in USS_GRANTS:
        return None  # its USS has not answered its own PUT yet: a 409 will list it
    if ref["id"] not in race.native_ovns:
        url = f"{ref['uss_base_url']}/uss/v1/operational_intents/{ref['id']}"
        r = race.answered("details get", await http.get(url))
        if r.status_code != 200:
            return None
        got = r.json()["operational_intent"]
        start = got["details"]["volumes"][0]["time_start"]["value"]
        race.native_ovns[ref["id"]] = (got["reference"]["ovn"], start)
    return race.native_ovns[ref["id"]][0]


async def uss_client(race: Race, url: str, uss: str, plans: list[Write]) -> None:
    async with httpx.AsyncClient(
        base_url=url, headers=headers(race.tokens[uss]), timeout=REQUEST_TIMEOUT_S
    ) as http:
        for w in plans:
            t0, t1 = window(w.start_s)
            r = race.answered(
                "uss query",
                await http.post(f"{OIR}/query", json={"area_of_interest": extent(t0, t1)}),
            )
            refs = payload(r)["operational_intent_references"] if r.status_code == 200 else []
            key: set[str] = set()
            while True:
                for ref in refs:
                    if (ovn := await learn(race, http, ref, uss)) is not None:
                        key.add(ovn)
                body = {
                    "extents": [extent(t0, t1)],
                    "key": sorted(key),
                    "state": "Accepted",
                    "uss_base_url": f"http://127.0.0.1:1/{uss}",
                }
                r = race.answered("uss put", await http.put(f"{OIR}/{w.id}", json=body))
                w.status, w.body, w.key = r.status_code, payload(r), frozenset(key)
                w.attempts += 1
                if r.status_code == 201:
                    w.ovn = w.body["operational_intent_reference"]["ovn"]
                    race.directory[w.id] = w.ovn
                    break
                if r.status_code != 409 or w.attempts >= USS_ATTEMPTS:
                    break
                missing = w.body["missing_operational_intents"]
                if not missing:
                    race.rule_refusals.append(w)
                    break
                refs = missing
                await asyncio.sleep(0.02)
            race.writes.append(w)


def plans(seed: int) -> dict[str, list[list[Write]]]:
    """Every client's writes, drawn up front from ``seed``: start times all different."""
    rng = random.Random(seed)
    names = [*NATIVE_GRANTS, *USS_GRANTS]
    count = len(names) * CLIENTS_PER_NAME * WRITES_PER_CLIENT
    starts = iter(rng.sample(range(SPAN_S), count))
    out: dict[str, list[list[Write]]] = {}
    for name in names:
        out[name] = []
        for _ in range(CLIENTS_PER_NAME):
            batch = []
            for _ in range(WRITES_PER_CLIENT):
                if name in NATIVE_GRANTS:
                    op_id = f"{name}-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
                    w = Write("native", op_id, name, rng.randint(0, NATIVE_GRANTS[name]), 0)
                else:
                    op_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    w = Write("uss", op_id, name, USS_GRANTS[name], 0)
                w.start_s = next(starts)
                batch.append(w)
            out[name].append(batch)
    return out


def run_race(urls: list[str], data_dir: Path, seed: int) -> None:
    admin = token(data_dir, "operator", "deconflict.admin", "deconflict.read")
    tokens = {p: token(data_dir, p, "deconflict.plan", "deconflict.read") for p in NATIVE_GRANTS}
    tokens |= {u: token(data_dir, u, SC) for u in USS_GRANTS}
    for party, top in {**NATIVE_GRANTS, **USS_GRANTS}.items():
        r = httpx.put(
            f"{urls[0]}/v1/parties/{party}/grant",
            json={"priority_max": top},
            headers=headers(admin),
            timeout=REQUEST_TIMEOUT_S,
        )
        assert r.status_code == 200, r.text
    race = Race(urls, tokens)
    drawn = plans(seed)

    async def everyone() -> None:
        clients = []
        n = 0
        for name, batches in drawn.items():
            for batch in batches:
                url = urls[n % len(urls)]
                n += 1
                if name in NATIVE_GRANTS:
                    clients.append(native_client(race, url, name, batch))
                else:
                    clients.append(uss_client(race, url, name, batch))
        await asyncio.gather(*clients)

    asyncio.run(everyone())
    check(race, admin, seed)


def check(race: Race, admin: str, seed: int) -> None:
    where = f"seed {seed}"
    # (1) No 5xx, and only the answers each request may have.
    allowed = {
        "native put": {201, 409},
        "uss put": {201, 409},
        "uss query": {200},
        "details get": {200},
    }
    odd = [(what, s) for what, s in race.statuses if s not in allowed[what]]
    assert not odd, (where, odd)
    writes = {w.id: w for w in race.writes}
    assert (
        len(writes)
        == len(race.writes)
        == sum(len(batch) for batches in plans(seed).values() for batch in batches)
    )
    accepted = {i: w for i, w in writes.items() if w.status == 201}
    refused = {i: w for i, w in writes.items() if w.status != 201}
    assert accepted and refused, (where, "the race should have winners and losers")

    # (2) Nothing lost, nothing refused kept: as the operator lists them ...
    r = httpx.get(
        f"{race.urls[-1]}/v1/operations",
        params={"limit": 10_000},
        headers=headers(admin),
        timeout=REQUEST_TIMEOUT_S,
    )
    assert r.status_code == 200, r.text
    listed = {o["id"]: o for o in r.json()["operations"]}
    assert set(listed) == set(accepted), (
        where,
        "lost",
        sorted(set(accepted) - set(listed)),
        "refused but kept",
        sorted(set(listed) - set(accepted)),
    )
    stored: dict[str, Operation] = {}
    for op_id, o in listed.items():
        w = accepted[op_id]
        assert (o["party"], o["priority"], o["state"], o["version"]) == (
            w.party,
            w.priority,
            "Accepted",
            1,
        ), (where, o)
        stored[op_id] = OperationIn.model_validate(o).to_domain(op_id, o["party"])

    # ... and as the USSs query them: every accepted intent with its OVN, every accepted
    # native operation as one reference the service manages.
    t_end = BASE + timedelta(seconds=SPAN_S + DURATION_S)
    native_refs: dict[str, str] = {}
    for uss in USS_GRANTS:
        r = httpx.post(
            f"{race.urls[0]}{OIR}/query",
            json={"area_of_interest": extent(BASE, t_end)},
            headers=headers(race.tokens[uss]),
            timeout=REQUEST_TIMEOUT_S,
        )
        assert r.status_code == 200, r.text
        refs = r.json()["operational_intent_references"]
        mine = {x["id"]: x["ovn"] for x in refs if x["manager"] == uss}
        assert mine == {i: w.ovn for i, w in accepted.items() if w.party == uss}, (where, uss)
        natives = {x["id"] for x in refs if x["manager"] not in USS_GRANTS}
        assert not native_refs or set(native_refs) == natives, where
        native_refs = {x["id"]: x["uss_base_url"] for x in refs if x["id"] in natives}
    native_by_start = {window(w.start_s)[0]: w.id for w in accepted.values() if w.kind == "native"}
    ref_to_native: dict[str, str] = {}
    for ref_id, base in native_refs.items():
        r = httpx.get(
            f"{base}/uss/v1/operational_intents/{ref_id}",
            headers=headers(race.tokens["uss-high"]),
            timeout=REQUEST_TIMEOUT_S,
        )
        assert r.status_code == 200, r.text
        got = r.json()["operational_intent"]
        start = parse_time(got["details"]["volumes"][0]["time_start"]["value"])
        ref_to_native[ref_id] = native_by_start[start]
        if ref_id in race.native_ovns:  # what the racing USSs learned still stands
            assert race.native_ovns[ref_id][0] == got["reference"]["ovn"], (where, ref_id)
    assert sorted(ref_to_native.values()) == sorted(
        i for i, w in accepted.items() if w.kind == "native"
    ), (where, "native operations and their references differ")

    # (3) Who saw whom when it was written.
    owner_of_ovn = {w.ovn: i for i, w in accepted.items() if w.ovn is not None}
    for ref_id, (ovn, _) in race.native_ovns.items():
        if ref_id in ref_to_native:
            owner_of_ovn[ovn] = ref_to_native[ref_id]
    seen: dict[str, set[str]] = {}
    for i, w in accepted.items():
        if w.kind == "uss":
            seen[i] = {owner_of_ovn[o] for o in w.key if o in owner_of_ovn} - {i}
        else:
            seen[i] = reported(w, writes, where)

    pairs = {"native-native": 0, "native-uss": 0, "uss-uss": 0}
    for a, b in combinations(sorted(stored), 2):
        if not volume_overlaps(stored[a].volumes, stored[b].volumes):
            continue
        a_saw, b_saw = b in seen[a], a in seen[b]
        assert a_saw != b_saw, (
            where,
            "neither saw the other" if not a_saw else "both saw each other",
            writes[a],
            writes[b],
        )
        later, earlier = (a, b) if a_saw else (b, a)
        label = "-".join(sorted((writes[a].kind, writes[b].kind)))
        pairs[label] += 1
        if label != "uss-uss":
            verdict, reason = judge(stored[later], stored[earlier], POLICY)
            assert verdict is Verdict.NOTICE, (
                where,
                f"{later} (priority {stored[later].priority}) was accepted over "
                f"{earlier} (priority {stored[earlier].priority}): {reason}",
            )

    # The race exercised the rules across the two APIs, both ways.
    print(
        f"\n{where}: {len(accepted)} accepted, {len(refused)} refused "
        f"({len(race.rule_refusals)} USS by the rules), "
        f"{sum(w.attempts for w in writes.values() if w.kind == 'uss')} USS PUTs, "
        f"overlapping pairs {pairs}, details reads {len(race.native_ovns)}"
    )
    assert race.rule_refusals, (where, "no USS was refused by the rules")
    for w in race.rule_refusals:
        # A refusal names a native operation the USS's plan overlaps and the rules protect
        # from it: never a spurious one.
        named = RULE_REFUSAL.search(w.body["message"])
        assert named is not None, (where, w.body)
        native = writes[ref_to_native[named["ref"]]]
        assert int(named["priority"]) == native.priority, (where, w.body, native)
        plan = OperationIn.model_validate(native_body(w.start_s, w.priority))
        planned = plan.to_domain(w.id, w.party)
        assert volume_overlaps(planned.volumes, stored[native.id].volumes), (where, w, native)
        verdict, _ = judge(planned, stored[native.id], POLICY)
        assert verdict is Verdict.BLOCKING, (where, w.body, native)
    refused_by_uss = [
        w
        for w in refused.values()
        if w.kind == "native"
        and any(
            c["other_party"] in USS_GRANTS and c["verdict"] == "blocking"
            for c in w.body["conflicts"]
        )
    ]
    assert refused_by_uss, (where, "no native plan was refused over a USS intent")
    assert pairs["native-uss"] > 0, (where, "no mixed overlap was accepted", pairs)


def reported(w: Write, writes: dict[str, Write], where: str) -> set[str]:
    """The operations a native write's 201 reports overlapping: named when it may know
    the id (its own), else found by party and overlap window (start times all differ,
    durations are equal, so the window names one plan)."""
    found = set()
    for c in w.body["conflicts"]:
        assert c["verdict"] == "notice", (where, w)
        if "other_operation" in c:
            found.add(c["other_operation"])
            continue
        [o] = c["overlaps"]
        when = (parse_time(o["time_start"]), parse_time(o["time_end"]))
        match = [
            x.id
            for x in writes.values()
            if x.party == c["other_party"] and x.id != w.id and w.overlap_window(x) == when
        ]
        assert len(match) == 1, (where, w.id, c, match)
        found.add(match[0])
    return found


# ------------------------------------------------------------------------------ the stores


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Server]]:
    """``deconflict serve`` processes, each stopped at teardown. Conflict reports are
    the evidence here, so the per-party report budget must not cut them off."""
    monkeypatch.setenv("DECONFLICT_LIMITS__MAX_REPORTS_PER_HOUR", "100000")
    started: list[Server] = []

    def start(data_dir: Path, database: str) -> Server:
        server = Server(data_dir, database)
        started.append(server)
        return server.start()

    yield start
    for s in started:
        s.stop()


def test_mixed_race_one_server_on_sqlite(tmp_path: Path, servers: Callable[..., Server]) -> None:
    database = f"sqlite:///{tmp_path / 'service.db'}"
    run_race([servers(tmp_path, database).url], tmp_path, seed=1414)


@pytest.mark.postgres
@needs_pg
def test_mixed_race_two_replicas_on_postgresql(
    tmp_path: Path, pg_schema: Callable[[], str], servers: Callable[..., Server]
) -> None:
    database = pg_schema()
    replicas = [servers(tmp_path, database), servers(tmp_path, database)]
    run_race([r.url for r in replicas], tmp_path, seed=3548)
