"""The api_load workload on PostgreSQL with 1, 2 and 4 replicas of `deconflict serve`.

Run:  .venv/bin/python bench/replicas.py [--database URL] [--replicas 1 2 4]
                                         [--clients 16] [--count 2000] [--hot-count 300]

For each replica count: a fresh scratch schema on the server (dropped afterwards), that
many service processes on free loopback ports sharing one data directory (one signing
key), and the bodies of bench/api_load.py (non-overlapping squares on a lattice; then
one 100 m square in consecutive time slots, all in one level-13 cell) sent by
``--clients`` asyncio clients spread round-robin over the replicas. Prints creations/s,
p50 and p99 per phase. Targets (issue 6): >= 300 /s non-overlapping, >= 50 /s in one
cell. Replicas, clients and PostgreSQL share this machine's cores: on a small machine
more replicas mostly add contention; the figure that matters there is that it does
not collapse.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from api_load import cpu_split, drive, free_port, hot_cell_bodies, spread_bodies


def start(exe: Path, port: int, data: str, database: str) -> subprocess.Popen[bytes]:
    cmd = [str(exe), "serve", "--port", str(port), "--data-dir", data, "--database", database]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env={**os.environ})
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthy").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"replica on port {port} did not start")


def run(n: int, args: argparse.Namespace, exe: Path) -> None:
    plain = args.database.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_replicas_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in plain else "?"
    url = f"{plain}{sep}options=-csearch_path%3D{schema}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as data:
            # The first replica creates the schema; the others then find it migrated.
            ports = [free_port() for _ in range(n)]
            procs.append(start(exe, ports[0], data, url))
            procs += [start(exe, p, data, url) for p in ports[1:]]
            mint = [str(exe), "token", "--sub", "bench", "--scope", "deconflict.plan"]
            token = subprocess.run(
                [*mint, "--data-dir", data],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            urls = [f"http://127.0.0.1:{p}" for p in ports]
            pids = [p.pid for p in procs]
            phases = [
                ("non-overlapping", spread_bodies(args.count, random.Random(7)), "s"),
                ("one cell", hot_cell_bodies(args.hot_count), "h"),
            ]
            for name, bodies, prefix in phases:
                before = cpu_split(*pids)
                r = asyncio.run(drive(urls, token, bodies, args.clients, prefix))
                cost = [
                    (b - a) / len(bodies) * 1000
                    for a, b in zip(before, cpu_split(*pids), strict=True)
                ]
                print(
                    f"{n} replica(s), {name}: {r['rate']:.0f} /s, p50 {r['p50']:.1f} ms, "
                    f"p99 {r['p99']:.1f} ms, {r['statuses']}; CPU per creation: replicas "
                    f"{cost[0]:.2f} ms, database {cost[1]:.2f} ms, clients {cost[2]:.2f} ms",
                    flush=True,
                )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(15)
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--hot-count", type=int, default=300)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("deconflict")
    print(
        f"PostgreSQL {args.database}; {args.clients} clients; {os.cpu_count()} cores shared by "
        "clients, replicas and the database  (targets: >= 300 /s non-overlapping, >= 50 /s "
        "in one cell)"
    )
    for n in args.replicas:
        run(n, args, exe)


if __name__ == "__main__":
    main()
