"""Failover figures on the Patroni cluster (issue 19): time from a primary's loss to the
first acknowledged write, writes lost, and throughput with synchronous replication
against a single PostgreSQL node.

Run:  .venv/bin/python bench/ha_failover.py [--rounds 4] [--skip-throughput]
                                           [--skip-failover] [--repeat 1]
                                           [--count 2000] [--hot-count 500]

1. Starts the cluster of ``deploy/ha`` (one etcd, three PostgreSQL 15 nodes under
   Patroni, synchronous_mode_strict) and prints how long that took.
2. Two ``deconflict serve`` replicas on its multi-host URL take the mixed write load of
   the proofs (``tests/e2e/ha/failover.py``: native plans and their updates, F3548
   intents). Each round kills the primary's PostgreSQL (``kill -9``) and stops its
   Patroni, alternately with SIGTERM (Patroni hands the leader key over) and SIGKILL
   (a lost machine: the key expires after Patroni's TTL); the figure is the time from
   the kill to the first acknowledged write sent after the node was gone. The node is
   then started again and rejoins (pg_rewind). At the end every acknowledged write is
   looked for on the primary: the count missing is the writes lost.
3. ``bench/api_load.py``'s phases (non-overlapping creations, then creations in one
   S2 cell; one replica, 10 clients) against a standalone PostgreSQL 15 with the same
   settings (fsync on) and against the cluster, in A B B A order, and the ratio of the
   medians.

Everything shares the machine's cores: three PostgreSQL nodes, etcd, the replicas and
the clients. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from deploy.ha.cluster import PG_BIN, PG_PARAMETERS, Cluster, free_port, wait_gone  # noqa: E402
from tests.e2e.ha.failover import (  # noqa: E402
    WriteLoad,
    create_database,
    fail_primary,
    lost_writes,
)
from tests.e2e.replicas.conftest import Server, token  # noqa: E402

from api_load import drive, hot_cell_bodies, spread_bodies  # noqa: E402
from api_load import start as start_service  # noqa: E402

RECOVERY_S = 60.0
"""Safety net: a round whose writes have not resumed by then is reported as failed."""


class SingleNode:
    """A standalone PostgreSQL 15 with the cluster's settings, for the throughput ratio."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="deconflict-single-"))
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust")
        opts = " ".join(
            f"-c {k}={v}" for k, v in PG_PARAMETERS.items() if k not in ("hot_standby",)
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-o",
            f"-p {self.port} -k {self.dir} {opts}",
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def database(self, name: str) -> str:
        """A fresh database on this node, and its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(PG_BIN / tool), *args],
            check=True,
            capture_output=True,
            user=self.user,
            timeout=120,
        )

    def destroy(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def failover_rounds(cluster: Cluster, rounds: int, work: Path) -> None:
    database = f"ha_bench_{uuid.uuid4().hex[:8]}"
    create_database(cluster, database)
    args = ("--database-timeout", "3")
    servers = [Server(work, cluster.url(database), None, *args).start() for _ in range(2)]
    load = WriteLoad(
        [s.url for s in servers],
        token(work, "ha-party"),
        token(work, "ha-uss", "utm.strategic_coordination"),
    ).start()
    figures: dict[str, list[float]] = {"SIGTERM": [], "SIGKILL": []}
    try:
        for k in range(rounds):
            sig = signal.SIGTERM if k % 2 == 0 else signal.SIGKILL
            load.wait_acks(30, 120.0)
            failure = fail_primary(cluster, sig)
            took = load.wait_failover(failure, RECOVERY_S)
            gap = [a for a in load.ledger.answers if a.sent >= failure.killed]
            refused = sum(1 for a in gap if a.status == 503)
            if took is None:
                print(
                    f"  round {k + 1}: {failure.node.name} lost, Patroni {sig.name}: "
                    f"no write within {RECOVERY_S:.0f} s",
                    flush=True,
                )
            else:
                figures[sig.name].append(took)
                print(
                    f"  round {k + 1}: {failure.node.name} lost, Patroni {sig.name}: first "
                    f"write after {took:.1f} s ({refused} answers 503 meanwhile)",
                    flush=True,
                )
            load.wait_acks(30, 120.0)
            t = time.monotonic()
            cluster.start_node(failure.node)
            cluster.wait_whole(180.0)
            print(f"    {failure.node.name} back as a standby in {time.monotonic() - t:.1f} s")
    finally:
        ledger = load.stop()
        for s in servers:
            s.stop()
    leader = cluster.leader()
    assert leader is not None
    loss = lost_writes(ledger, cluster.libpq_dsn(leader, database))
    every = figures["SIGTERM"] + figures["SIGKILL"]
    print(f"  answers: {dict(sorted(ledger.statuses().items()))} (0 = no answer in time)")
    print(
        f"  acknowledged writes: {ledger.acked()} (native {len(ledger.native)}, "
        f"F3548 {len(ledger.intents)}); lost: {loss.count()}"
    )
    for name, values in figures.items():
        if values:
            print(
                f"  failover, Patroni {name}: p50 {statistics.median(values):.1f} s, "
                f"worst {max(values):.1f} s over {len(values)}"
            )
    if every:
        print(
            f"  failover, all rounds: p50 {statistics.median(every):.1f} s, "
            f"worst {max(every):.1f} s over {len(every)}"
        )


def throughput(url: str, count: int, hot: int, work: Path) -> tuple[float, float]:
    # DECONFLICT_TEST_SERVE, as for the proofs: another build's command.
    exe = Path(
        os.environ.get("DECONFLICT_TEST_SERVE", Path(sys.executable).with_name("deconflict"))
    )
    data = work / f"tp-{uuid.uuid4().hex[:6]}"
    data.mkdir()
    port = free_port()
    proc = start_service(exe, port, str(data), url)
    try:
        bearer = token(data, "bench")
        base = [f"http://127.0.0.1:{port}"]
        spread = asyncio.run(drive(base, bearer, spread_bodies(count, random.Random(7)), 10, "s"))
        cell = asyncio.run(drive(base, bearer, hot_cell_bodies(hot), 10, "h"))
    finally:
        proc.terminate()
        proc.wait(15)
    for name, r in (("non-overlapping", spread), ("one cell", cell)):
        print(
            f"    {name}: {r['rate']:.0f} /s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
            f"statuses {r['statuses']}",
            flush=True,
        )
    return spread["rate"], cell["rate"]


def compare_throughput(cluster: Cluster, args: argparse.Namespace, work: Path) -> None:
    """Single node and cluster in A B B A order (``--repeat`` times), so that the
    machine's drift over the run weighs on both alike; the ratio of the medians."""
    print(f"throughput (one replica, 10 clients), order A B B A x {args.repeat}:")
    single = SingleNode()
    rates: dict[str, list[tuple[float, float]]] = {"single": [], "cluster": []}
    try:
        # Each run on a fresh database: the phases' plans would all conflict with the
        # previous run's (409s, which cost less than creations).
        for k in range(args.repeat):
            for name in ("single", "cluster", "cluster", "single"):
                db = f"throughput_{k}_{len(rates[name])}"
                if name == "single":
                    print("  single PostgreSQL node:")
                    url = single.database(db)
                else:
                    print("  cluster, synchronous replication to one of two standbys:")
                    create_database(cluster, db)
                    url = cluster.url(db)
                rates[name].append(throughput(url, args.count, args.hot_count, work))
    finally:
        single.destroy()
    for i, phase in enumerate(("non-overlapping", "one cell")):
        one = statistics.median(r[i] for r in rates["single"])
        ha = statistics.median(r[i] for r in rates["cluster"])
        print(
            f"  {phase}: single {one:.0f} /s, cluster {ha:.0f} /s (medians of "
            f"{len(rates['single'])}), cluster / single {ha / one:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-failover", action="store_true")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--hot-count", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1, help="A B B A rounds of throughput")
    args = parser.parse_args()
    os.environ.setdefault("DECONFLICT_LIMITS__PLAN_HORIZON_S", str(20 * 365 * 86400))
    work = Path(tempfile.mkdtemp(prefix="deconflict-ha-bench-"))
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    t = time.monotonic()
    cluster = Cluster.create()
    try:
        cluster.up()
        print(f"cluster up in {time.monotonic() - t:.1f} s: {cluster.url()}", flush=True)
        if not args.skip_failover:
            print(f"failover, {args.rounds} rounds, two replicas, mixed load:")
            failover_rounds(cluster, args.rounds, work)
        if not args.skip_throughput:
            compare_throughput(cluster, args, work)
    finally:
        t = time.monotonic()
        pids = [n.patroni_pid for n in cluster.nodes if n.patroni_pid]
        cluster.down()
        wait_gone(pids, 1.0)
        print(f"cluster down in {time.monotonic() - t:.1f} s")
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
