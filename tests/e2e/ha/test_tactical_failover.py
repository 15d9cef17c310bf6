"""One tactical picture behind two replicas, on the cluster, after a failover (issue 19).

Two ``deconflict serve`` replicas share the cluster's database. The primary is lost
first (``kill -9``, then its Patroni stopped): each replica's picture bus (PostgreSQL
``LISTEN/NOTIFY``, which only a primary carries) must find the new primary as its
writes do. Then each party reports its aircraft to a different replica, head-on: each
party's event stream gets exactly one ``alert.new``, under one alert id, shown by both.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
from deploy.ha.cluster import Cluster

from tests.e2e.ha.conftest import start_replicas
from tests.e2e.ha.failover import WriteLoad, fail_primary
from tests.e2e.replicas.conftest import token
from tests.e2e.replicas.test_tactical_replicas import (
    alert_events,
    assert_one_alert_shown_by_both,
    report,
)

HEAD_ON_LON = 0.18
"""About 20 km apart at 100 m/s each: a 5 NM zone is about 54 s ahead (a caution)."""
WAIT_S = 60.0
"""A safety net: no alert by then is a failure, not a slow machine."""


def bearer(tmp_path: Path, party: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token(tmp_path, party, 'deconflict.track', 'deconflict.read')}"
    }


def test_reports_to_two_replicas_make_one_alert_after_a_failover(
    tmp_path: Path, cluster: Cluster, database: str
) -> None:
    one, two = start_replicas(tmp_path, cluster, database)
    try:
        # The primary goes while both replicas write, and writes resume on the new one.
        load = WriteLoad(
            [one.url, two.url],
            token(tmp_path, "ha-party"),
            token(tmp_path, "ha-uss", "utm.strategic_coordination"),
            clients_per_replica=1,
        ).start()
        try:
            load.wait_acks(10, 60.0)
            failure = fail_primary(cluster, signal.SIGTERM)
            assert load.wait_failover(failure, 30.0) is not None, "no write after the failover"
        finally:
            load.stop()

        alpha, beta = bearer(tmp_path, "alpha"), bearer(tmp_path, "beta")
        with (
            httpx.Client(base_url=one.url, timeout=30) as h1,
            httpx.Client(base_url=two.url, timeout=30) as h2,
        ):
            deadline = time.monotonic() + WAIT_S
            moved = 0.0
            while time.monotonic() < deadline:
                # Trackers report every second; a replica still subscribing misses a
                # report or two, as it would in service, and takes the next one.
                a = {"reports": [report("A1", moved, 90.0)]}
                b = {"reports": [report("B1", HEAD_ON_LON - moved, 270.0)]}
                r1 = h1.post("/v1/tracks", json=a, headers=alpha)
                r2 = h2.post("/v1/tracks", json=b, headers=beta)
                assert r1.status_code == r2.status_code == 200, (r1.text, r2.text)
                if alert_events(h1, alpha) and alert_events(h2, beta):
                    break
                time.sleep(1.0)
                moved += 0.0009
            assert_one_alert_shown_by_both(h1, h2, alpha, beta, moved)
    finally:
        one.stop()
        two.stop()
