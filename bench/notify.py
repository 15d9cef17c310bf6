"""Commit-to-delivery latency of F3548 notifications: p50/p99 with 1,000 subscribers.

Setup: one store (SQLite, or a scratch schema on ``--database``); ``--subscribers``
subscriptions over one area, spread over ``--usss`` receivers (distinct
``uss_base_url``s on one local uvicorn process, so each change makes one POST per
receiver carrying that receiver's subscriptions and indices); intents created at
``--rate`` per second (open loop: each change is due at its time, and ``--clients``
threads make them) through ``DssService`` with the outbox notifier, delivered by the
in-process worker. Latency is the receiver's arrival time minus the moment the
creating transaction returned (committed), wall clock on one
machine. The receiver runs in its own process so it does not share our GIL.

    .venv/bin/python bench/notify.py [--subscribers 1000] [--usss 10] [--rate 100] [--seconds 10]
                                     [--clients 10] [--database postgresql://...]
                                     [--baseline /tmp/old-checkout/src]

``--baseline SRC`` first runs the same bench with the package imported from ``SRC`` (a
``git worktree`` of the old commit) in a subprocess, so before and after share one run's
machine load. Each result line prints the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import event

from deconflict.dss.records import (
    Extent,
    IntentChange,
    IntentParams,
    IntentRef,
    Subscriber,
    SubscriptionParams,
)
from deconflict.dss.service import DssService
from deconflict.geo.footprint import Circle
from deconflict.model.operation import OperationState
from deconflict.notify.recorder import Notifier
from deconflict.notify.tokens import ServiceTokens
from deconflict.notify.worker import DeliveryWorker, WorkerThread
from deconflict.settings import NotifySettings
from deconflict.store.dss import DssStore, SqlDssSession
from deconflict.store.sql import SqlStore, open_store

RECEIVER = """
import time, orjson
arrivals = []
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/stats":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": orjson.dumps(arrivals)})
        return
    body = b""
    while True:
        m = await receive()
        body += m.get("body", b"")
        if not m.get("more_body"):
            break
    now = time.time()
    data = orjson.loads(body)
    arrivals.append([data["operational_intent_id"], now, len(data["subscriptions"])])
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_started(proc: subprocess.Popen[bytes]) -> None:
    """Until the worker has imported everything (its CPU from then on is delivery's);
    its stderr is echoed from then on by a thread, so that it never blocks on it."""
    assert proc.stderr is not None
    stream = proc.stderr
    for line in stream:
        sys.stderr.write(line.decode(errors="replace"))
        if b"deconflict worker on" in line:
            break

    def echo() -> None:
        for more in stream:
            sys.stderr.write(more.decode(errors="replace"))

    threading.Thread(target=echo, daemon=True).start()


SUBSCRIBED = timedelta(hours=23)
CHANGE_S = timedelta(seconds=10)


def change_start(now: datetime, n: int) -> datetime:
    """When change ``n``'s intent starts: one after the other (12 s apart, 10 s long, so
    that no two intents overlap and none needs a key), and inside the subscriptions'
    23 hours for the first 6,900 changes (69 s at 100/s): a change past their end has
    no subscriber to notify and would be missing from the deliveries counted."""
    start = now + timedelta(minutes=5) + n * timedelta(seconds=12)
    if start + CHANGE_S > now + SUBSCRIBED:
        raise SystemExit(f"change {n} would start after the subscriptions end: fewer changes")
    return start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_receiver(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    (workdir / "receiver_app.py").write_text(RECEIVER)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "receiver_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(workdir)},
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/stats", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("receiver did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--usss", type=int, default=10)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=10, help="threads making the changes")
    ap.add_argument("--database", default=None, help="postgresql://... (default: SQLite)")
    ap.add_argument(
        "--baseline",
        default=None,
        metavar="SRC",
        help="first run the bench with the package imported from SRC (an old checkout's src/)",
    )
    ap.add_argument(
        "--worker-process",
        action="store_true",
        help="deliver with `deconflict worker` in its own process (no shared GIL; polls)",
    )
    ap.add_argument(
        "--mode",
        choices=["dss", "outbox", "cost"],
        default="dss",
        help="dss: changes through DssService (its index bumps included); outbox: only the "
        "notifier's transaction (same rows, same bodies), to measure delivery at rates the "
        "DSS write path cannot reach on SQLite; cost: 200 changes one after another, nothing "
        "delivered, and the CPU each costs this process (the writer thread's included)",
    )
    args = ap.parse_args()
    if args.baseline:
        argv = [a for a in sys.argv[1:]]
        k = argv.index("--baseline")
        del argv[k : k + 2]
        env = {**os.environ, "PYTHONPATH": args.baseline}
        print(f"baseline ({args.baseline}):", flush=True)
        subprocess.run([sys.executable, __file__, *argv], env=env, check=False)
        print("this tree:", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="deconflict-bench-notify-"))
    port = free_port()
    receiver = start_receiver(workdir, port)
    try:
        run(args, workdir, port, receiver.pid)
    finally:
        receiver.terminate()
        receiver.wait(10)


def run(args: argparse.Namespace, workdir: Path, port: int, receiver_pid: int) -> None:
    with contextlib.ExitStack() as stack:
        if args.database:
            sys.path.insert(0, str(Path(__file__).parent))
            from api_load import scratch_schema

            url = stack.enter_context(scratch_schema(args.database))
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        else:
            url = f"sqlite:///{workdir / 'bench.db'}"
        run_on(args, url, port, receiver_pid)


def run_on(args: argparse.Namespace, url: str, port: int, receiver_pid: int) -> None:
    store = open_store(url)
    settings = NotifySettings(poll_interval_s=0.05)
    # The service relays USS changes only when told to (DssSettings.relay_uss_notifications):
    # this bench measures that relay.
    notifier = Notifier(settings, relay_uss_changes=True)
    dss = DssService(DssStore(store), notifier=notifier)
    now = datetime.now(UTC)
    area = Circle(7.0, 46.0, 5000.0)
    for i in range(args.subscribers):
        dss.put_subscription(
            f"uss{i % args.usss}",
            str(uuid.uuid4()),
            None,
            SubscriptionParams(
                extent=Extent(area, None, None, now, now + SUBSCRIBED),
                uss_base_url=f"http://127.0.0.1:{port}/uss{i % args.usss}",
                notify_for_operational_intents=True,
            ),
        )
    if args.mode == "cost":
        change_cost(args, dss, store, now, url)
        store.close()
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    worker = DeliveryWorker(store, settings, ServiceTokens(key, issuer="bench", subject="bench"))
    notifier.on_outbox.append(worker.wake)
    thread = WorkerThread(worker)
    separate: subprocess.Popen[bytes] | None = None
    if args.worker_process:
        separate = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "deconflict"),
                "worker",
                "--database",
                url,
                "--data-dir",
                tempfile.mkdtemp(prefix="deconflict-bench-notify-worker-"),
            ],
            env={**os.environ, "DECONFLICT_NOTIFY__POLL_INTERVAL_S": "0.02"},
            stderr=subprocess.PIPE,
        )
        wait_started(separate)
    else:
        thread.start()

    template: IntentRef | None = None
    subscribers: tuple[Subscriber, ...] = ()
    if args.mode == "outbox":
        template, subscribers = first_change(dss, now, port, args.usss)
    total = int(args.rate * args.seconds)
    own_cpu = cpu_s(os.getpid())
    worker_cpu = cpu_s(separate.pid) if separate is not None else 0.0
    receiver_cpu = cpu_s(receiver_pid)
    committed: dict[str, float] = {}
    lock = threading.Lock()
    began = time.time()

    def one(n: int) -> None:
        start = change_start(now, n)
        intent_id = str(uuid.uuid4())
        params = IntentParams(
            extents=(Extent(Circle(7.0, 46.0, 200.0), 0, 100, start, start + CHANGE_S),),
            state=OperationState.ACCEPTED,
            uss_base_url="http://127.0.0.1:9/manager",
        )
        if args.mode == "dss":
            dss.put_intent("manager", intent_id, None, params, conformance_monitoring=False)
        else:
            outbox_only(store, notifier, template, intent_id, subscribers, n + 1)
        with lock:
            committed[intent_id] = time.time()

    with ThreadPoolExecutor(args.clients) as pool:
        futures = []
        for n in range(total):
            pause = began + n / args.rate - time.time()
            if pause > 0:
                time.sleep(pause)
            futures.append(pool.submit(one, n))
        for f in futures:
            f.result()
    offered = time.time() - began
    # --mode outbox's template is a real change: its POSTs arrive too.
    expected = total * args.usss + (args.usss if args.mode == "outbox" else 0)
    deadline = time.time() + 120
    arrivals: list[Any] = []
    while time.time() < deadline:
        arrivals = orjson.loads(httpx.get(f"http://127.0.0.1:{port}/stats", timeout=10).content)
        if len(arrivals) >= expected:
            break
        time.sleep(0.2)
    own_cpu = cpu_s(os.getpid()) - own_cpu
    receiver_cpu = cpu_s(receiver_pid) - receiver_cpu
    if separate is not None:
        worker_cpu = cpu_s(separate.pid) - worker_cpu
        separate.terminate()
        separate.wait(10)
    else:
        thread.stop()
    store.close()

    latencies = sorted(t - committed[i] for i, t, _ in arrivals if i in committed)
    subs = sum(k for _, _, k in arrivals)
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else latencies * 99
    print(
        f"notify [{args.mode}]: {args.subscribers} subscribers over {args.usss} USSs, "
        f"{total} changes at {total / offered:.1f}/s committed (target {args.rate:g}/s), "
        f"{args.clients} client threads, "
        f"worker {'in its own process' if args.worker_process else 'in-process'}, "
        f"{'PostgreSQL' if args.database else 'SQLite'}"
    )
    print(
        f"  delivered {len(arrivals)}/{expected} POSTs ({subs} subscription states); "
        f"commit-to-delivery p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}  (target p99 < 1000 ms at 100/s)",
    )
    print(
        f"  CPU per change: this process {own_cpu / total * 1000:.2f} ms (clients, writer"
        f"{'' if args.worker_process else ', worker'}), "
        + (f"worker process {worker_cpu / total * 1000:.2f} ms, " if args.worker_process else "")
        + f"receiver {receiver_cpu / total * 1000:.2f} ms; "
        f"total {(own_cpu + worker_cpu) / total * 1000:.2f} ms without the receiver "
        f"(2 cores give 20 ms per change at 100/s)",
        flush=True,
    )


def change_cost(
    args: argparse.Namespace, dss: DssService, store: SqlStore, now: datetime, url: str
) -> None:
    """CPU and wall time per DSS change over the subscribers, one change at a time; on
    PostgreSQL also the CPU of the server processes that served this bench's connections
    (opened anew for the measure, so each is known from its start)."""
    backends: dict[int, float] = {}
    if store.is_postgresql:
        store.engine.dispose()

        def note_backend(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT pg_backend_pid()")
            pid = int(cur.fetchone()[0])
            cur.close()
            dbapi_conn.rollback()  # the store sets the connection's mode next
            backends[pid] = cpu_s(pid)

        event.listen(store.engine, "connect", note_backend)

    def one(n: int) -> None:
        start = change_start(now, n)
        extent = Extent(Circle(7.0, 46.0, 200.0), 0, 100, start, start + CHANGE_S)
        params = IntentParams((extent,), OperationState.ACCEPTED, "http://127.0.0.1:9/manager")
        dss.put_intent("manager", str(uuid.uuid4()), None, params, conformance_monitoring=False)

    for n in range(20):
        one(n)
    count = 200
    cpu, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for n in range(20, 20 + count):
        one(n)
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    server = ""
    if backends:
        served = sum(cpu_s(pid) - at for pid, at in backends.items())
        server = f", the server's processes {served / (20 + count) * 1000:.2f} ms"
    print(
        f"notify [cost]: {args.subscribers} subscribers over {args.usss} USSs, "
        f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}: "
        f"{used / count * 1000:.2f} ms CPU and {(time.perf_counter() - wall) / count * 1000:.1f} "
        f"ms wall per change (this process{server}); "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )


def first_change(
    dss: DssService, now: datetime, port: int, usss: int
) -> tuple[IntentRef, tuple[Subscriber, ...]]:
    """One real DSS change: its reference and subscriber groups are the template."""
    start = now + timedelta(minutes=1)
    params = IntentParams(
        extents=(Extent(Circle(7.0, 46.0, 200.0), 0, 100, start, start + timedelta(minutes=1)),),
        state=OperationState.ACCEPTED,
        uss_base_url="http://127.0.0.1:9/manager",
    )
    change = dss.put_intent(
        "manager", str(uuid.uuid4()), None, params, conformance_monitoring=False
    )
    assert len(change.subscribers) == usss
    return change.intent, change.subscribers


def outbox_only(
    store: SqlStore,
    notifier: Notifier,
    template: IntentRef | None,
    intent_id: str,
    subscribers: tuple[Subscriber, ...],
    index: int,
) -> None:
    assert template is not None
    subs = tuple(
        Subscriber(s.uss_base_url, tuple((sid, index + 1) for sid, _ in s.subscriptions))
        for s in subscribers
    )
    change = IntentChange(replace(template, id=intent_id), subs)
    store.run(lambda s: notifier.intent_changed(SqlDssSession(s), change, deleted=False))


if __name__ == "__main__":
    main()
