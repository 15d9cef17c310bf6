"""The reference DSS's community load test "flights in subscriptions", against `deconflict serve`.

Run:  .venv/bin/python bench/flights_in_sub.py [--seconds 30] [--clients 10]
                                               [--database postgresql://...]
                                               [--baseline /tmp/old-checkout/src]

The workload of InterUSS's ``FlightsInSub`` locust file (monitoring/loadtest), with the
parameters a large USS ran it with (issue 20):

- 11 clusters of 15.2 km radius, side by side northwards, each under a subscription
  (notify for operational intents, one hour long), made once before the clients start;
- 10 concurrent clients, each in a loop: pick a cluster at random, draw a random
  flight path from a random point inside it (a random bearing, a random length up to
  10 km, as a chain of 100 m x 10 m rectangles drawn in degrees, one extent each, so
  up to 101 extents), at a random 1 m altitude band between 0 and 10,000 m, starting
  now and lasting 60 s; PUT it as a new operational intent reference (Accepted, with
  a ``new_subscription``, an implicit subscription of its own), its key the OVN of
  every intent created so far (the locust file keeps one dict for all clients and
  never prunes it); then wait between 10 and 100 ms (locust's ``between(0.01, 0.1)``);
  ``--no-wait`` drops the pause.

Prints intents/s (successful PUTs over the wall time), p50/p99 latency, statuses (every
non-2xx is a failure), the service's CPU per intent and the machine's load average.
``--baseline SRC`` runs the same workload first against a service imported from
``SRC`` (e.g. a ``git worktree`` of the old commit: ``SRC=/tmp/old/src``) and prints the
ratios, so that before and after share one run's machine load.

``--phases N`` profiles instead: N intents of the same workload through the service's
own parts in this process (no HTTP, no clients, no background workers), printing the
CPU per intent of each phase (JSON parsing, reading the body by the fast lane and by
the pydantic model, the service's write, the answer), which a busy machine's load
does not blur as it blurs wall-clock profiles.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from api_load import cpu_seconds, free_port, scratch_schema

METRES_PER_DEGREE = 111_320.0
CLUSTERS = 11
RADIUS_M = 15_200.0
MAX_FLIGHT_M = 10_000.0
INTENT_S = 60
BASE_LAT, BASE_LNG = 46.0, 7.0
USS_BASE_URL = "https://bench-uss.example.com"


def when(t: datetime) -> dict[str, str]:
    return {"value": t.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def alt(v: float) -> dict[str, Any]:
    return {"value": v, "reference": "W84", "units": "M"}


def clusters() -> list[tuple[float, float]]:
    """(lat, lng) of each cluster's centre: one after the other northwards, 2R apart."""
    return [(BASE_LAT + k * 2 * RADIUS_M / 111_111, BASE_LNG) for k in range(CLUSTERS)]


def subscription_body(lat: float, lng: float, now: datetime) -> dict[str, Any]:
    return {
        "extents": {
            "volume": {
                "outline_circle": {
                    "center": {"lng": lng, "lat": lat},
                    "radius": {"value": RADIUS_M, "units": "M"},
                },
                "altitude_lower": alt(0),
                "altitude_upper": alt(10_000),
            },
            "time_start": when(now),
            "time_end": when(now + timedelta(minutes=60)),
        },
        "uss_base_url": USS_BASE_URL,
        "notify_for_operational_intents": True,
    }


def rectangle(cx: float, cy: float, w: float, h: float, bearing: float) -> list[dict[str, float]]:
    """A w x h rectangle (degrees) centred on (cx, cy), turned by ``bearing`` radians."""
    c, s = math.cos(bearing), math.sin(bearing)
    out = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        out.append({"lng": cx + dx * c - dy * s, "lat": cy + dx * s + dy * c})
    return out


def flight_extents(rng: random.Random, lat: float, lng: float) -> list[dict[str, Any]]:
    """A random flight path in the cluster at (lat, lng), as the locust file draws it."""
    bearing = rng.random() * 2 * math.pi
    distance = rng.random() * MAX_FLIGHT_M / METRES_PER_DEGREE
    radius = RADIUS_M / METRES_PER_DEGREE * math.sqrt(rng.random())
    angle = 2 * math.pi * rng.random()
    x, y = lng + radius * math.cos(angle), lat + radius * math.sin(angle)
    w, h = 100 / METRES_PER_DEGREE, 10 / METRES_PER_DEGREE
    lower = rng.randint(0, 10_000)
    now = datetime.now(UTC)
    extents = []
    for _ in range(1 + math.floor(distance / w)):
        extents.append(
            {
                "volume": {
                    "outline_polygon": {"vertices": rectangle(x, y, w, h, bearing)},
                    "altitude_lower": alt(lower),
                    "altitude_upper": alt(lower + 1),
                },
                "time_start": when(now),
                "time_end": when(now + timedelta(seconds=INTENT_S)),
            }
        )
        x, y = x + w * math.cos(bearing), y + w * math.sin(bearing)
    return extents


def start_service(
    port: int, data: str, database: str | None, src: str | None
) -> subprocess.Popen[bytes]:
    """`deconflict serve` on ``port``; with ``src``, the package imported from there."""
    env = {**os.environ}
    cmd = [sys.executable, "-c", "import sys; from deconflict.cli.main import app; sys.exit(app())"]
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd += ["serve", "--port", str(port), "--data-dir", data]
    if database:
        cmd += ["--database", database]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=env)
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthy").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"the service on port {port} did not start")


def token(data: str, src: str | None) -> str:
    env = {**os.environ}
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", "import sys; from deconflict.cli.main import app; sys.exit(app())"]
    cmd += ["token", "--sub", "bench-uss", "--scope", "utm.strategic_coordination"]
    cmd += ["--data-dir", data]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout.strip()


async def load(url: str, tok: str, args: argparse.Namespace) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {tok}"}
    centres = clusters()
    now = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for lat, lng in centres:
            r = await client.put(
                f"/dss/v1/subscriptions/{uuid.uuid4()}", json=subscription_body(lat, lng, now)
            )
            r.raise_for_status()
    ovns: dict[str, tuple[str, float]] = {}  # intent id -> (OVN, when it ends)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    extents_sent: list[int] = []
    stop_at = time.perf_counter() + args.seconds

    async def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            while time.perf_counter() < stop_at:
                lat, lng = rng.choice(centres)
                extents = flight_extents(rng, lat, lng)
                if args.key == "all":
                    key = [o for o, _ in ovns.values()]
                else:
                    t = time.time()
                    key = [o for o, end in ovns.values() if end >= t]
                intent_id = str(uuid.uuid4())
                body = {
                    "state": "Accepted",
                    "uss_base_url": USS_BASE_URL,
                    "new_subscription": {"uss_base_url": USS_BASE_URL},
                    "extents": extents,
                    "key": key,
                }
                t0 = time.perf_counter()
                path = f"/dss/v1/operational_intent_references/{intent_id}"
                r = await client.put(path, json=body)
                latencies.append(time.perf_counter() - t0)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                extents_sent.append(len(extents))
                if r.status_code in (200, 201):
                    ovn = r.json()["operational_intent_reference"]["ovn"]
                    ovns[intent_id] = (ovn, time.time() + INTENT_S)
                if args.wait:
                    await asyncio.sleep(rng.uniform(0.01, 0.1))

    t0 = time.perf_counter()
    await asyncio.gather(*(client_loop(args.seed + i) for i in range(args.clients)))
    elapsed = time.perf_counter() - t0
    lat_ms = np.array(latencies) * 1000
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return {
        "rate": ok / elapsed,
        "count": len(latencies),
        "p50": float(np.percentile(lat_ms, 50)),
        "p99": float(np.percentile(lat_ms, 99)),
        "statuses": statuses,
        "failures": len(latencies) - ok,
        "extents": float(np.mean(extents_sent)),
    }


def run_one(label: str, args: argparse.Namespace, src: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data, ExitStack() as stack:
        database = stack.enter_context(scratch_schema(args.database)) if args.database else None
        port = free_port()
        proc = start_service(port, data, database, src)
        try:
            tok = token(data, src)
            before = cpu_seconds(proc.pid)
            result = asyncio.run(load(f"http://127.0.0.1:{port}", tok, args))
            result["cpu_ms"] = (cpu_seconds(proc.pid) - before) / max(result["count"], 1) * 1000
        finally:
            proc.terminate()
            proc.wait(15)
    load1 = os.getloadavg()
    print(
        f"{label}: {result['count']} intent PUTs ({result['extents']:.0f} extents on average), "
        f"{result['rate']:.1f} intents/s, p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms, "
        f"failures {result['failures']} {result['statuses']}; service CPU "
        f"{result['cpu_ms']:.1f} ms per intent; load average {load1[0]:.1f} {load1[1]:.1f} "
        f"on {os.cpu_count()} cores  (target >= 150 /s, 0 failures, p99 < 500 ms)",
        flush=True,
    )
    return result


def phases(n: int, seed: int, label: str) -> None:
    """CPU per intent of each phase of an intent PUT, in this process (``--phases``)."""
    import json

    from deconflict.api.dss.router import _intent_change, dss_service
    from deconflict.dss.wire import convert
    from deconflict.dss.wire import models as w

    try:
        from deconflict.dss.wire import fast
    except ImportError:  # a baseline from before the fast lane
        fast = None
    from deconflict.service.services import Services
    from deconflict.settings import Settings

    rng = random.Random(seed)
    centres = clusters()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings().model_copy(
            update={"data_dir": Path(data), "database_url": f"sqlite:///{data}/bench.db"}
        )
        services = Services.build(settings)
        try:
            made = dss_service(services.store, services.dss_notifier, settings)
            # An ``async`` dependency now (it runs on the event loop), a plain one before.
            service = asyncio.run(made) if inspect.iscoroutine(made) else made
            now = datetime.now(UTC)
            for lat, lng in centres:
                sub = w.PutSubscriptionParameters.model_validate(subscription_body(lat, lng, now))
                params = convert.subscription_params(sub)
                service.put_subscription("bench-uss", str(uuid.uuid4()), None, params)
            spent = dict.fromkeys(["parse", "lane", "model", "service", "answer"], 0.0)
            ovns: list[str] = []
            extents = 0
            for _ in range(n):
                lat, lng = rng.choice(centres)
                body = {
                    "state": "Accepted",
                    "uss_base_url": USS_BASE_URL,
                    "new_subscription": {"uss_base_url": USS_BASE_URL},
                    "extents": flight_extents(rng, lat, lng),
                    "key": ovns,
                }
                extents += len(body["extents"])
                raw = json.dumps(body).encode()
                t0 = time.process_time()
                parsed = json.loads(raw)
                t1 = time.process_time()
                lane = fast.intent_params(parsed) if fast is not None else None
                t2 = time.process_time()
                model = convert.intent_params(
                    w.PutOperationalIntentReferenceParameters.model_validate(parsed)
                )
                t3 = time.process_time()
                assert fast is None or lane == model, "the fast lane read the body otherwise"
                change = service.put_intent(
                    "bench-uss", str(uuid.uuid4()), None, model, conformance_monitoring=False
                )
                t4 = time.process_time()
                answer = _intent_change(change, "bench-uss")
                json.dumps(answer.model_dump(mode="json", exclude_none=True))
                t5 = time.process_time()
                ovns = [*ovns, change.intent.ovn]
                for k, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                    spent[k] += dt
        finally:
            services.stop()
    per = {k: v / n * 1000 for k, v in spent.items()}
    body = per["lane"] if fast is not None else per["model"]
    served = per["parse"] + body + per["service"] + per["answer"]
    lane = f"{per['lane']:.2f}" if fast is not None else "(none)"
    print(
        f"{label}: CPU ms per intent over {n} intents ({extents / n:.0f} extents on average, "
        f"key up to {n - 1} OVNs): JSON parse {per['parse']:.2f}, body by the fast lane "
        f"{lane} (by the model + convert {per['model']:.2f}), service write "
        f"{per['service']:.2f}, answer {per['answer']:.2f}; served total {served:.2f} "
        f"(HTTP, routing and background work not included); load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument(
        "--key",
        choices=["all", "live"],
        default="all",
        help="all: every OVN created so far, as the locust file; live: those not yet ended",
    )
    parser.add_argument("--no-wait", dest="wait", action="store_false")
    parser.add_argument(
        "--phases",
        type=int,
        default=0,
        metavar="N",
        help="profile N intents in-process by phase (CPU per intent) instead of serving",
    )
    parser.add_argument("--label", default="this tree", help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="SRC",
        help="also run a service imported from SRC first (a checkout's src/) and compare",
    )
    args = parser.parse_args()
    if args.phases:
        if args.baseline:  # the same phases, the package imported from there
            env = {**os.environ, "PYTHONPATH": args.baseline}
            cmd = [sys.executable, __file__, "--phases", str(args.phases), "--seed"]
            cmd += [str(args.seed), "--label", f"baseline ({args.baseline})"]
            subprocess.run(cmd, env=env, check=True)
        phases(args.phases, args.seed, args.label)
        return
    print(
        f"flights in subscriptions: {CLUSTERS} clusters of {RADIUS_M / 1000:.1f} km, paths up "
        f"to {MAX_FLIGHT_M / 1000:.0f} km, {INTENT_S} s intents, {args.clients} clients, "
        f"{'wait 10-100 ms' if args.wait else 'no wait'}, key: {args.key}, "
        f"{'PostgreSQL' if args.database else 'SQLite'}, {args.seconds:g} s; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    old = run_one(f"baseline ({args.baseline})", args, args.baseline) if args.baseline else None
    new = run_one("this tree", args, None)
    if old is not None:
        print(
            f"ratios this tree / baseline: intents/s x{new['rate'] / old['rate']:.2f}, "
            f"p50 x{new['p50'] / old['p50']:.2f}, "
            f"CPU per intent x{new['cpu_ms'] / old['cpu_ms']:.2f}"
        )


if __name__ == "__main__":
    main()
