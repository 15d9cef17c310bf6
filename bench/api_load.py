"""Load on a real `deconflict serve`: creations per second and latency, 10 concurrent clients.

Run:  .venv/bin/python bench/api_load.py [--database URL] [--clients 10] [--count 2000]

Starts the service in a subprocess on a free loopback port (SQLite in a temporary data
directory unless --database is given), mints tokens with the service's own key, and
drives it with an asyncio httpx client:
  1. non-overlapping creations spread over a region (many cells);
  2. creations that all land in one S2 level-13 cell, kept apart in time so that each
     is accepted (every write still searches and locks the same cell).
Targets (issue 3): >= 500 /s non-overlapping, >= 100 /s in one cell
(the reference DSS: ~120-150 /s and 6-8 /s).
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


def cpu_split(*server_pids: int) -> tuple[float, float, float]:
    """CPU seconds so far of the service (all its replicas), the local database server
    and this process (the clients): where each creation's cost goes."""
    server = sum(cpu_seconds(pid) for pid in server_pids)
    return server, postgres_cpu_seconds(), time.process_time()


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


async def drive(
    urls: list[str], token: str, bodies: list[dict[str, Any]], clients: int, prefix: str
) -> dict[str, Any]:
    """Send ``bodies`` as creations from ``clients`` asyncio clients, spread
    round-robin over ``urls`` (the replicas); the rate, p50 and p99 (ms), statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for k, b in enumerate(bodies):
        queue.put_nowait((k, b))
    headers = {"Authorization": f"Bearer {token}"}
    # Random ids, as clients mint them (F3548 ids are UUIDs): sequential ones would all
    # land on the last page of the primary key, where PostgreSQL's serializable
    # isolation makes writers of different replicas abort each other.
    ids = [uuid.uuid4().hex for _ in bodies]

    async def worker(url: str) -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            while True:
                try:
                    k, b = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                r = await client.put(f"/v1/operations/{prefix}-{ids[k]}", json=b)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--hot-count", type=int, default=500)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("deconflict")
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        cmd = [str(exe), "serve", "--port", str(port), "--data-dir", data]
        if args.database:
            cmd += ["--database", args.database]
        server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env={**os.environ})
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/healthy").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            token = subprocess.run(
                [
                    str(exe),
                    "token",
                    "--sub",
                    "bench",
                    "--scope",
                    "deconflict.plan",
                    "--data-dir",
                    data,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            store = args.database or "SQLite (WAL)"
            print(f"service: {url} on {store}; {args.clients} concurrent clients")
            rng = random.Random(7)
            targets = (
                ("300 /s (issue 6)", "50 /s (issue 6)")
                if args.database
                else ("500 /s (issue 3)", "100 /s (issue 3)")
            )
            phases = [
                ("non-overlapping", spread_bodies(args.count, rng), "s", targets[0]),
                ("one level-13 cell", hot_cell_bodies(args.hot_count), "h", targets[1]),
            ]
            for name, bodies, prefix, target in phases:
                before = cpu_split(server.pid)
                result = asyncio.run(drive([url], token, bodies, args.clients, prefix))
                cost = [
                    (b - a) / len(bodies) * 1000
                    for a, b in zip(before, cpu_split(server.pid), strict=True)
                ]
                print(
                    f"{name}: {len(bodies)} creations, {result['rate']:.0f} /s, "
                    f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
                    f"statuses {result['statuses']}  (target >= {target})"
                )
                print(
                    f"  CPU per creation: server {cost[0]:.2f} ms, database {cost[1]:.2f} ms, "
                    f"clients {cost[2]:.2f} ms; one core runs the server alone at "
                    f"{1000 / cost[0]:.0f} /s"
                )
            print(
                f"  machine load average during the run: {os.getloadavg()[0]:.1f} "
                f"on {os.cpu_count()} cores"
            )
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
