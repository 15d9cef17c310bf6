"""Load on real `deconflict serve` processes: creations per second, latency, CPU per creation.

Run:  .venv/bin/python bench/api_load.py [--database postgresql://...] [--replicas 1 2 4]
                                         [--clients 10] [--count 2000] [--hot-count 500]
                                         [--api f3548] [--baseline /tmp/old/src]

Starts the service in subprocesses on free loopback ports (SQLite in a temporary data
directory, or with --database a fresh scratch schema on that PostgreSQL server for each
replica count, 1, 2 and 4 by default, sharing one data directory and so one signing
key), mints a token with the service's own key, and drives it with asyncio httpx
clients spread round-robin over the replicas:
  1. non-overlapping creations spread over a region (many cells);
  2. creations that all land in one S2 level-13 cell, kept apart in time so that each
     is accepted (every write still searches and locks the same cell).
Each phase prints the rate, p50, p99, the statuses, and the CPU per creation of the
service processes, the local PostgreSQL server and the clients. Targets: issue 3
(SQLite) >= 500 /s non-overlapping, >= 100 /s in one cell; issue 6 (PostgreSQL, on
these 2 cores) >= 300 /s and >= 50 /s; issue 20 (PostgreSQL, 2 replicas, F3548) >= 200
/s in one cell, and non-overlapping no slower with 2 replicas than with 1. The reference
DSS: ~120-150 /s and 6-8 /s.

``--baseline SRC`` also runs every replica count against a service imported from
``SRC`` (another checkout's ``src``, through ``PYTHONPATH``), alternating baseline and
this tree per replica count, and ends with a table of rates, retried transactions and
the ratios: on a busy machine the ratios of one run say more than the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

START = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux), to report server cost per request
    independently of what else the machine is running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def postgres_cpu_seconds() -> float:
    """User + system CPU of every local ``postgres`` process (the server the service
    talks to, when it runs on this machine; 0 otherwise)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "postgres":
                continue
            total += cpu_seconds(int(proc.name))
        except (OSError, ValueError):
            continue
    return total


def backend_cpu(database: str | None) -> dict[int, float]:
    """CPU seconds so far of each local PostgreSQL backend serving the bench's service
    (its connections carry the scratch schema's name as ``application_name``): unlike
    ``postgres_cpu_seconds``, blind to other work on the same server."""
    if database is None:
        return {}
    import psycopg

    name = database.rsplit("application_name=", 1)[-1]
    plain = database.split("?", 1)[0]
    with psycopg.connect(plain, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchall()
    found = {}
    for (pid,) in rows:
        try:
            found[int(pid)] = cpu_seconds(int(pid))
        except (OSError, ValueError):
            continue
    return found


def cpu_split(
    *server_pids: int, database: str | None = None
) -> tuple[float, float, float, dict[int, float]]:
    """CPU seconds so far of the service (all its replicas), the local database server,
    this process (the clients), and each backend serving the service: where each
    creation's cost goes."""
    server = sum(cpu_seconds(pid) for pid in server_pids)
    return server, postgres_cpu_seconds(), time.process_time(), backend_cpu(database)


def backends_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the service's backends spent between two ``backend_cpu`` readings (a backend
    that ended meanwhile is not counted: the pool keeps them for the whole phase)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def square(lon: float, lat: float, d: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def volume(geometry: dict[str, Any], t0: datetime, minutes: float) -> dict[str, Any]:
    return {
        "geometry": geometry,
        "altitude_lower_m": 100.0,
        "altitude_upper_m": 150.0,
        "time_start": t0.isoformat().replace("+00:00", "Z"),
        "time_end": (t0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
    }


def spread_bodies(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Small squares on a 0.02-degree lattice: no two share a cell neighbourhood."""
    side = int(np.ceil(np.sqrt(n)))
    out = []
    for k in range(n):
        lon = 5.0 + (k % side) * 0.02
        lat = 45.0 + (k // side) * 0.02
        out.append({"volumes": [volume(square(lon, lat, 0.002), START, 30)]})
    rng.shuffle(out)
    return out


def hot_cell_bodies(n: int) -> list[dict[str, Any]]:
    """The same 100 m square (inside one level-13 cell), in consecutive 1-minute slots."""
    return [
        {"volumes": [volume(square(8.6801, 50.1101, 0.0008), START + timedelta(minutes=2 * k), 1)]}
        for k in range(n)
    ]


def f3548_body(native: dict[str, Any]) -> dict[str, Any]:
    """The same plan as an F3548 ``PutOperationalIntentReferenceParameters`` (Accepted,
    empty key: the bodies of a phase never overlap each other in 4D)."""

    def alt(v: float) -> dict[str, Any]:
        return {"value": v, "reference": "W84", "units": "M"}

    def when(t: str) -> dict[str, str]:
        return {"value": t, "format": "RFC3339"}

    extents = []
    for v in native["volumes"]:
        ring = v["geometry"]["coordinates"][0][:-1]
        extents.append(
            {
                "volume": {
                    "outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in ring]},
                    "altitude_lower": alt(v["altitude_lower_m"]),
                    "altitude_upper": alt(v["altitude_upper_m"]),
                },
                "time_start": when(v["time_start"]),
                "time_end": when(v["time_end"]),
            }
        )
    return {
        "extents": extents,
        "key": [],
        "state": "Accepted",
        "uss_base_url": "https://bench-uss.example.com",
    }


API_PATHS: dict[str, Callable[[str, str], str]] = {
    "native": lambda prefix, key: f"/v1/operations/{prefix}-{key}",
    "f3548": lambda prefix, key: f"/dss/v1/operational_intent_references/{key}",
}
"""Where each API takes a creation; F3548 ids must be UUIDs."""

API_SCOPES = {"native": "deconflict.plan", "f3548": "utm.strategic_coordination"}


async def drive(
    urls: list[str],
    token: str,
    bodies: list[dict[str, Any]],
    clients: int,
    prefix: str,
    api: str = "native",
) -> dict[str, Any]:
    """Send ``bodies`` as creations from ``clients`` asyncio clients, spread
    round-robin over ``urls`` (the replicas); the rate, p50 and p99 (ms), statuses."""
    if api == "f3548":
        bodies = [f3548_body(b) for b in bodies]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for k, b in enumerate(bodies):
        queue.put_nowait((k, b))
    headers = {"Authorization": f"Bearer {token}"}
    # Random ids, as clients mint them (F3548 ids are UUIDs): sequential ones would all
    # land on the last page of the primary key, where PostgreSQL's serializable
    # isolation makes writers of different replicas abort each other.
    ids = [str(uuid.uuid4()) for _ in bodies]
    path = API_PATHS[api]

    async def worker(url: str) -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            while True:
                try:
                    k, b = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                r = await client.put(path(prefix, ids[k]), json=b)
                latencies.append(time.perf_counter() - t)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(urls[i % len(urls)]) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    lat = np.array(latencies) * 1000
    return {
        "rate": len(bodies) / elapsed,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "statuses": statuses,
    }


def store_retries(urls: list[str], token: str) -> int:
    """Transactions the replicas retried so far (serialization failures, lock waits), from
    their /metrics; -1 when a replica does not say."""
    total = 0
    for url in urls:
        try:
            text = httpx.get(
                f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
            ).text
        except httpx.HTTPError:
            return -1
        values = [
            float(line.split()[-1])
            for line in text.splitlines()
            if line.startswith("deconflict_store_retries_total ")
        ]
        if not values:
            return -1
        total += int(values[0])
    return total


def start(
    exe: Path, port: int, data: str, database: str | None, src: str | None = None
) -> subprocess.Popen[bytes]:
    """One `deconflict serve` on ``port``, answering /healthy; ``src``: import the
    service from there (a baseline checkout) rather than from this tree."""
    cmd = [str(exe), "serve", "--port", str(port), "--data-dir", data]
    if database:
        cmd += ["--database", database]
    env = {**os.environ, **({"PYTHONPATH": src} if src else {})}
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=env)
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthy").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"the service on port {port} did not start")


@contextmanager
def scratch_schema(database: str) -> Iterator[str]:
    """``database`` with a fresh schema of its own as the search path, dropped after."""
    import psycopg

    plain = database.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in plain else "?"
    try:
        # The schema's name as application_name too: the backends serving this run
        # are then told apart from other work on the server (``backend_cpu``).
        yield f"{plain}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def run(
    replicas: int,
    args: argparse.Namespace,
    exe: Path,
    database: str | None,
    src: str | None = None,
) -> dict[str, tuple[float, int]]:
    """Both phases against ``replicas`` service processes sharing one data directory
    (one signing key) and ``database``; clients spread round-robin over them. Returns
    each phase's (rate, transactions retried)."""
    procs: list[subprocess.Popen[bytes]] = []
    out: dict[str, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as data:
        try:
            ports = [free_port() for _ in range(replicas)]
            # The first replica migrates the schema; the others then find it done.
            procs.append(start(exe, ports[0], data, database, src))
            procs += [start(exe, p, data, database, src) for p in ports[1:]]
            mint = [str(exe), "token", "--sub", "bench", "--scope", API_SCOPES[args.api]]
            token = subprocess.run(
                [*mint, "--data-dir", data], capture_output=True, text=True, check=True
            ).stdout.strip()
            urls = [f"http://127.0.0.1:{p}" for p in ports]
            pids = [p.pid for p in procs]
            targets = (
                ("300 /s (issue 6)", "200 /s (issue 20)")
                if database
                else ("500 /s (issue 3)", "100 /s (issue 3)")
            )
            phases = [
                ("non-overlapping", spread_bodies(args.count, random.Random(7)), "s", targets[0]),
                ("one level-13 cell", hot_cell_bodies(args.hot_count), "h", targets[1]),
            ]
            print(f"{replicas} replica(s){f' (baseline {src})' if src else ''}:")
            for name, bodies, prefix, target in phases:
                before = cpu_split(*pids, database=database)
                retried = store_retries(urls, token)
                result = asyncio.run(drive(urls, token, bodies, args.clients, prefix, args.api))
                retried = store_retries(urls, token) - retried if retried >= 0 else -1
                out[name] = (result["rate"], retried)
                after = cpu_split(*pids, database=database)
                spent = zip(before[:3], after[:3], strict=True)
                cost = [(b - a) / len(bodies) * 1000 for a, b in spent]
                backends = backends_spent(before[3], after[3]) / len(bodies) * 1000
                print(
                    f"  {name}: {len(bodies)} creations, {result['rate']:.0f} /s, "
                    f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
                    f"statuses {result['statuses']}  (target >= {target})"
                )
                print(
                    f"    CPU per creation: service {cost[0]:.2f} ms, database "
                    f"{cost[1]:.2f} ms (its backends serving the service "
                    f"{backends:.2f} ms), clients {cost[2]:.2f} ms; transactions retried "
                    f"{retried if retried >= 0 else 'n/a'}; load average "
                    f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
                    flush=True,
                )
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(15)
    return out


def summary(results: dict[tuple[str, int], dict[str, tuple[float, int]]]) -> None:
    """Rates and retries side by side; this tree against the baseline, and each
    replica count against the first (issue 20: 2 replicas no slower than 1)."""
    print("summary (rate /s, transactions retried):")
    counts = sorted({n for _, n in results})
    for phase in ("non-overlapping", "one level-13 cell"):
        for variant in ("baseline", "this tree"):
            row = [results.get((variant, n), {}).get(phase) for n in counts]
            if not any(row):
                continue
            cells = [
                f"{n} replica(s) {r[0]:.0f} /s ({r[1]} retried)"
                for n, r in zip(counts, row, strict=True)
                if r
            ]
            first = row[0]
            ratios = [f"x{r[0] / first[0]:.2f}" for r in row[1:] if r and first and first[0] > 0]
            print(
                f"  {phase}, {variant}: {'; '.join(cells)}"
                + (f"; against 1 replica: {' '.join(ratios)}" if ratios else "")
            )
        for n in counts:
            old = results.get(("baseline", n), {}).get(phase)
            new = results.get(("this tree", n), {}).get(phase)
            if old and new and old[0] > 0:
                print(f"  {phase}, {n} replica(s): this tree / baseline x{new[0] / old[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument(
        "--replicas",
        type=int,
        nargs="+",
        default=None,
        help="service processes per run (PostgreSQL only; default 1 2 4 there, 1 on SQLite)",
    )
    parser.add_argument(
        "--api",
        choices=sorted(API_PATHS),
        default="native",
        help="native: PUT /v1/operations; f3548: PUT /dss/v1/operational_intent_references",
    )
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--hot-count", type=int, default=500)
    parser.add_argument(
        "--baseline",
        default=None,
        help="also run a service imported from this src directory, alternating with this tree",
    )
    args = parser.parse_args()
    variants: list[tuple[str, str | None]] = [("this tree", None)]
    if args.baseline:
        variants.insert(0, ("baseline", args.baseline))
    results: dict[tuple[str, int], dict[str, tuple[float, int]]] = {}
    exe = Path(sys.executable).with_name("deconflict")
    if args.database is None:
        if args.replicas not in (None, [1]):
            parser.error("several replicas need --database postgresql://...")
        print(f"SQLite (WAL); {args.api} API; {args.clients} concurrent clients")
        for variant, src in variants:
            results[(variant, 1)] = run(1, args, exe, None, src)
    else:
        print(
            f"PostgreSQL {args.database}; {args.api} API; {args.clients} concurrent clients; "
            f"{os.cpu_count()} cores shared by the clients, the replicas and the database"
        )
        for n in args.replicas or [1, 2, 4]:
            for variant, src in variants:
                with scratch_schema(args.database) as url:
                    results[(variant, n)] = run(n, args, exe, url, src)
            # Alternate which goes first, so neither always meets the machine's drift first.
            variants.reverse()
    summary(results)
    print(f"machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
