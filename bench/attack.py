"""The attacks of issue 21 (Critical) against a memory-capped `deconflict serve`.

Run:  .venv/bin/python bench/attack.py [--mem-mb 2048] [--heavy 3] [--light 200]

Starts the service (SQLite, a temporary data directory, the default limits) with its
address space capped by ``setrlimit(RLIMIT_AS)``, then fires, one after another:
  1. ``POST /v1/operations:check`` of one circle of 1,000 km radius, then of 3,000 km;
  2. ``PUT`` of twelve large tiles spanning a century, and of twelve small ones;
  3. ``GET /v1/operations?bbox=0,0,10,10``;
  4. F3548 ``PUT`` of an intent with a 1,000 km circle, and of 130 ragged strips
     around the Earth (each some 400 km², tens of thousands of level-13 cells);
  5. heavy but legal: ``--heavy`` concurrent dry runs of 16,000 volumes by party
     alpha while party bravo plans ``--light`` small operations one after another.
It prints each answer's status and time, bravo's median and p99 latency with and
without alpha's dry runs, the server's peak RSS (VmHWM), and whether ``/healthy``
answered throughout (polled every 0.2 s; its slowest answer).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


def t(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def box(w: float, s: float, e: float, n: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def vol(geometry: dict[str, Any], end: datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "geometry": geometry,
        "altitude_lower_m": 0,
        "altitude_upper_m": 120,
        "time_start": t(SOON),
        "time_end": t(end or SOON + timedelta(minutes=30)),
        **extra,
    }


def circle(lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    return vol({"type": "Point", "coordinates": [lon, lat]}, radius_m=radius_m)


def f3548_extent(outline: dict[str, Any]) -> dict[str, Any]:
    def when(x: datetime) -> dict[str, str]:
        return {"value": t(x), "format": "RFC3339"}

    def alt(v: float) -> dict[str, Any]:
        return {"value": v, "reference": "W84", "units": "M"}

    return {
        "volume": {**outline, "altitude_lower": alt(0), "altitude_upper": alt(120)},
        "time_start": when(SOON),
        "time_end": when(SOON + timedelta(minutes=30)),
    }


def strip(lat: float) -> dict[str, Any]:
    south = [(-179.0 + 2.0 * k, lat) for k in range(180)]
    ring = south + [(x, lat + 0.0001) for x, _ in reversed(south)]
    return {"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in ring]}}


def dry_run_16000() -> bytes:
    """16,000 small volumes (about 100 m squares on a grid), compact JSON."""
    vols = []
    for k in range(16_000):
        lon, lat = 5.0 + (k % 400) * 0.002, 45.0 + (k // 400) * 0.002
        geometry = box(round(lon, 4), round(lat, 4), round(lon + 0.001, 4), round(lat + 0.001, 4))
        vols.append(vol(geometry))
    return json.dumps({"volumes": vols}, separators=(",", ":")).encode()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Health:
    """Polls /healthy every 0.2 s in a thread: failures and the slowest answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.polls = 0
        self.failures = 0
        self.slowest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                try:
                    ok = client.get(f"{self.url}/healthy").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.slowest = max(self.slowest, time.perf_counter() - t0)
                self.polls += 1
                self.failures += 0 if ok else 1
                self._stop.wait(0.2)

    def __enter__(self) -> Health:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def capped(mem_mb: int) -> Callable[[], None]:
    def limit() -> None:
        cap = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mem-mb", type=int, default=2048, help="RLIMIT_AS of the service")
    parser.add_argument("--heavy", type=int, default=3, help="alpha's concurrent dry runs")
    parser.add_argument("--light", type=int, default=200, help="bravo's small operations")
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("deconflict")
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_LIMITS__")}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--data-dir", data],
            stderr=subprocess.DEVNULL,
            env=env,
            preexec_fn=capped(args.mem_mb),
        )
        try:
            for _ in range(1200):
                try:
                    if httpx.get(f"{url}/healthy").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)

            def token(sub: str, scope: str) -> dict[str, str]:
                out = subprocess.run(
                    [str(exe), "token", "--sub", sub, "--scope", scope, "--data-dir", data],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                ).stdout.strip()
                return {"Authorization": f"Bearer {out}"}

            alpha = token("alpha", "deconflict.plan")
            bravo = token("bravo", "deconflict.plan")
            uss = token("uss-a", "utm.strategic_coordination")
            print(f"service pid {proc.pid}, address space capped at {args.mem_mb} MiB")
            print(f"after start: peak RSS {peak_rss_mb(proc.pid):.0f} MiB")
            century = SOON + timedelta(days=36500)
            oir = "/dss/v1/operational_intent_references"
            attacks: list[tuple[str, str, str, dict[str, str], Any]] = [
                (
                    ":check, circle of 1,000 km",
                    "POST",
                    "/v1/operations:check",
                    alpha,
                    {"volumes": [circle(10.0, 50.0, 1_000_000.0)]},
                ),
                (
                    ":check, circle of 3,000 km",
                    "POST",
                    "/v1/operations:check",
                    alpha,
                    {"volumes": [circle(10.0, 50.0, 3_000_000.0)]},
                ),
                (
                    "PUT, 12 tiles of 30x120 deg over a century",
                    "PUT",
                    "/v1/operations/tiles",
                    alpha,
                    {
                        "volumes": [
                            vol(box(-180 + 30 * k, -60, -150 + 30 * k, 60), end=century)
                            for k in range(12)
                        ]
                    },
                ),
                (
                    "PUT, 12 small tiles over a century",
                    "PUT",
                    "/v1/operations/tiles2",
                    alpha,
                    {"volumes": [vol(box(k, 0, k + 0.1, 0.1), end=century) for k in range(12)]},
                ),
                ("GET bbox=0,0,10,10", "GET", "/v1/operations?bbox=0,0,10,10", alpha, None),
                (
                    "F3548 PUT, circle of 1,000 km",
                    "PUT",
                    f"{oir}/5d1c4a32-7c0a-4bb5-9c1e-7d1f5f7e0001",
                    uss,
                    {
                        "extents": [
                            f3548_extent(
                                {
                                    "outline_circle": {
                                        "center": {"lng": 10.0, "lat": 50.0},
                                        "radius": {"value": 1_000_000.0, "units": "M"},
                                    }
                                }
                            )
                        ],
                        "state": "Accepted",
                        "uss_base_url": "https://uss.example.com",
                        "key": [],
                    },
                ),
                (
                    "F3548 PUT, 130 strips around the Earth",
                    "PUT",
                    f"{oir}/5d1c4a32-7c0a-4bb5-9c1e-7d1f5f7e0002",
                    uss,
                    {
                        "extents": [f3548_extent(strip(0.001 * k)) for k in range(130)],
                        "state": "Accepted",
                        "uss_base_url": "https://uss.example.com",
                        "key": [],
                    },
                ),
            ]
            with Health(url) as health, httpx.Client(base_url=url, timeout=120.0) as c:
                for name, method, path, headers, body in attacks:
                    t0 = time.perf_counter()
                    r = c.request(method, path, json=body, headers=headers)
                    dt = time.perf_counter() - t0
                    message = r.json().get("message", "") if r.status_code >= 400 else ""
                    print(f"  {name}: {r.status_code} in {dt * 1000:.0f} ms  {message[:110]}")
                print(f"after the attacks: peak RSS {peak_rss_mb(proc.pid):.0f} MiB")
                heavy_phase(c, alpha, bravo, args)
                print(f"after the heavy phase: peak RSS {peak_rss_mb(proc.pid):.0f} MiB")
            print(
                f"/healthy: {health.polls - health.failures}/{health.polls} answered, "
                f"slowest {health.slowest * 1000:.0f} ms; service alive: {proc.poll() is None}"
            )
        finally:
            proc.terminate()
            proc.wait(15)


def heavy_phase(c: httpx.Client, alpha: dict[str, str], bravo: dict[str, str], args: Any) -> None:
    def light(n: int, tag: str) -> list[float]:
        out = []
        lat = -30.0 if tag == "q" else -20.0
        for k in range(n):
            lon = -60.0 + k * 0.02
            body = {"volumes": [vol(box(lon, lat, lon + 0.01, lat + 0.01))]}
            t0 = time.perf_counter()
            r = c.put(f"/v1/operations/{tag}{k}", json=body, headers=bravo)
            out.append(time.perf_counter() - t0)
            assert r.status_code in (200, 201), r.text
        return out

    quiet = light(args.light, "q")
    body = dry_run_16000()
    print(f"  heavy dry run body: {len(body) / 1e6:.2f} MB, 16,000 volumes")
    statuses: list[tuple[int, float]] = []

    def dry_run() -> None:
        t0 = time.perf_counter()
        r = c.post(
            "/v1/operations:check",
            content=body,
            headers={**alpha, "Content-Type": "application/json"},
        )
        statuses.append((r.status_code, time.perf_counter() - t0))

    with ThreadPoolExecutor(args.heavy + 1) as pool:
        runs = [pool.submit(dry_run) for _ in range(args.heavy)]
        busy = pool.submit(light, args.light, "b")
        for f in runs:
            f.result()
        loaded = busy.result()
    for status, dt in statuses:
        print(f"  alpha's 16,000-volume dry run: {status} in {dt * 1000:.0f} ms")
    for name, lat in (("alone", quiet), ("beside alpha's dry runs", loaded)):
        p50 = statistics.median(lat) * 1000
        p99 = sorted(lat)[int(0.99 * (len(lat) - 1))] * 1000
        print(f"  bravo's small PUTs {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(lat)})")


if __name__ == "__main__":
    main()
