"""The service survives the loss of its PostgreSQL primary (issue 19).

Two ``deconflict serve`` replicas are given the cluster's multi-host URL (libpq keeps
the node that takes writes) and a mixed write load: native plans, their updates, F3548
intents. The primary is then lost, twice in a row (the first time its Patroni is
stopped and hands the leader key over; the second time Patroni is killed too, as when
a machine dies, and the key expires), or cut off for 20 s (SIGSTOP). Patroni promotes
the synchronous standby; nothing in the service or here chooses a leader.

Each proof holds the service to the issue's rules: only 2xx and 503 (with Retry-After)
answers and no hang; writes again within 30 s, through the same service processes;
every acknowledged write on the new primary, at its version and with its content (an
F3548 intent with its OVN); ``deconflict db check`` clean; the audit chain verifies;
the lost node rejoins as a standby of the new timeline.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from deploy.ha.cluster import Cluster, Node

from tests.e2e.ha.conftest import heal, start_replicas
from tests.e2e.ha.failover import (
    Ledger,
    WriteLoad,
    cli,
    fail_primary,
    lost_writes,
)
from tests.e2e.replicas.conftest import Server, token

RECOVERY_S = 30.0
"""The issue's bound: writes succeed again within this long after the kill."""
PAUSE_S = 20.0
ACKS_BEFORE = 20
"""Acknowledged writes before each loss, so that the loss lands mid-load."""


def replicas(tmp_path: Path, cluster: Cluster, database: str) -> list[Server]:
    """Two ``deconflict serve`` on the cluster's multi-host URL, one data directory."""
    return start_replicas(tmp_path, cluster, database)


def load_on(tmp_path: Path, servers: list[Server]) -> WriteLoad:
    return WriteLoad(
        [s.url for s in servers],
        token(tmp_path, "ha-party"),
        token(tmp_path, "ha-uss", "utm.strategic_coordination"),
    ).start()


def assert_answers_are_2xx_or_503(ledger: Ledger) -> None:
    hung = [a for a in ledger.answers if a.status == 0]
    assert not hung, f"{len(hung)} requests got no answer in time, e.g. {hung[0]}"
    odd = [a for a in ledger.answers if a.status not in (200, 201, 503)]
    assert not odd, f"answers other than 2xx and 503: {odd[:5]}"
    assert all(a.retry_after for a in ledger.answers if a.status == 503), "503 without Retry-After"


def assert_nothing_lost(cluster: Cluster, ledger: Ledger, database: str) -> None:
    leader = cluster.leader()
    assert leader is not None
    loss = lost_writes(ledger, cluster.libpq_dsn(leader, database))
    assert loss.count() == 0, f"acknowledged writes lost: {loss}"


def assert_database_sound(cluster: Cluster, database: str, data_dir: Path) -> None:
    url = cluster.url(database)
    checked = cli("db", "check", "--database", url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verified = cli("audit", "verify", "--database", url, data_dir=data_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def wait_rejoined(cluster: Cluster, node: Node, timeout_s: float = 90.0) -> dict[str, object]:
    """Wait until ``node`` is a running standby on the leader's timeline with no lag."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        members = {m["name"]: m for m in cluster.members()}
        leader = next((m for m in members.values() if m["role"] == "leader"), None)
        me = members.get(node.name)
        if (
            leader is not None
            and me is not None
            and me["role"] in ("replica", "sync_standby")
            and me.get("state") in ("running", "streaming")
            and me.get("timeline") == leader.get("timeline")
            and me.get("lag") == 0
        ):
            return me
        time.sleep(0.2)
    raise AssertionError(f"{node.name} did not rejoin as a standby: {cluster.members()}")


def test_primary_killed_under_load_twice_loses_no_acknowledged_write(
    tmp_path: Path, cluster: Cluster, database: str
) -> None:
    servers = replicas(tmp_path, cluster, database)
    load = load_on(tmp_path, servers)
    try:
        for patroni_stop in (signal.SIGTERM, signal.SIGKILL):
            load.wait_acks(ACKS_BEFORE, 60.0)
            failure = fail_primary(cluster, patroni_stop)
            took = load.wait_failover(failure, RECOVERY_S)
            assert took is not None, f"no write succeeded within {RECOVERY_S} s of the kill"
            old = failure.node
            print(f"{old.name} lost ({patroni_stop.name} to Patroni): writes after {took:.1f} s")
            new = cluster.leader()
            assert new is not None and new.name != old.name
            load.wait_acks(ACKS_BEFORE, 60.0)
            # The lost node comes back: Patroni rewinds it onto the new timeline.
            cluster.start_node(old)
            wait_rejoined(cluster, old)
            cluster.wait_whole()
    finally:
        try:
            ledger = load.stop()
        finally:
            for s in servers:
                s.stop()
    assert_answers_are_2xx_or_503(ledger)
    assert ledger.native and ledger.intents, "both APIs should have been written"
    assert_nothing_lost(cluster, ledger, database)
    assert_database_sound(cluster, database, tmp_path)


def test_partitioned_primary_gives_503s_then_rejoins_without_split_brain(
    tmp_path: Path, cluster: Cluster, database: str
) -> None:
    servers = replicas(tmp_path, cluster, database)
    load = load_on(tmp_path, servers)
    old = cluster.leader()
    assert old is not None
    try:
        load.wait_acks(ACKS_BEFORE, 60.0)
        paused = cluster.pause(old)
        t_pause = time.monotonic()
        try:
            time.sleep(PAUSE_S)
        finally:
            cluster.resume(paused)
        t_resume = time.monotonic()
        promoted = cluster.leader()
        me = wait_rejoined(cluster, old)
        load.wait_acks(ACKS_BEFORE, 60.0)
    finally:
        try:
            ledger = load.stop()
        finally:
            for s in servers:
                s.stop()
        heal(cluster)

    assert_answers_are_2xx_or_503(ledger)
    cut_off = [a for a in ledger.answers if t_pause <= a.sent < t_resume]
    assert any(a.status == 503 for a in cut_off), "the gap should have shown as 503s"
    assert promoted is not None and promoted.name != old.name, "a standby took over"
    assert any(200 <= a.status < 300 for a in cut_off), "writes resumed on the new primary"
    assert me["role"] in ("replica", "sync_standby")
    # No split brain: the deposed primary now holds every acknowledged write (it follows
    # the new timeline), and so does the primary.
    assert_nothing_lost(cluster, ledger, database)
    assert lost_writes(ledger, cluster.libpq_dsn(old, database)).count() == 0
    assert_database_sound(cluster, database, tmp_path)
