"""The high-availability proofs (issue 19): a Patroni cluster of three PostgreSQL nodes
and one etcd (``deploy/ha``), started once for the whole run and made whole again
after each test, which kills or pauses its primary.

These tests are not collected by the plain ``pytest`` run (``make test``): they need
Debian's ``etcd-server`` and ``patroni`` and take minutes. ``make ha-test`` runs them
(``DECONFLICT_HA_TESTS=1``); ``.ci/run`` calls it after ``make test``.
``DECONFLICT_TEST_SERVE`` replaces the ``deconflict`` command, as in ``tests/e2e/replicas``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy.ha.cluster import Cluster, require_binaries

from tests.e2e.ha.failover import create_database
from tests.e2e.replicas.conftest import Server

if not os.environ.get("DECONFLICT_HA_TESTS"):
    collect_ignore_glob = ["test_*.py"]

DATABASE_TIMEOUT_S = 3.0
"""Each replica's ``--database-timeout``: the budget within which a request answers,
503 if the database cannot be reached in it."""


@pytest.fixture(scope="session")
def ha_cluster() -> Iterator[Cluster]:
    missing = require_binaries()
    if missing:
        pytest.fail(f"the HA proofs need: apt-get install {' '.join(missing)}")
    # A directory of its own under /tmp: pytest's are 0700, closed to the postgres user.
    cluster = Cluster.create()
    try:
        cluster.up()
        yield cluster
    finally:
        # DECONFLICT_HA_KEEP=1 keeps the directory, with every node's logs, to read.
        cluster.down(remove=not os.environ.get("DECONFLICT_HA_KEEP"))


@pytest.fixture
def cluster(ha_cluster: Cluster) -> Iterator[Cluster]:
    """The session's cluster, whole (every node running, a synchronous standby) before
    the test and again after it: a node a test stopped is started and rejoins."""
    heal(ha_cluster)
    yield ha_cluster
    heal(ha_cluster)


def heal(cluster: Cluster) -> None:
    for node in cluster.nodes:
        if node.patroni_pid is None:
            cluster.start_node(node)
    cluster.wait_whole()


def start_replicas(tmp_path: Path, cluster: Cluster, database: str) -> list[Server]:
    """Two ``deconflict serve`` on the cluster's multi-host URL, sharing one data
    directory (one signing key). The first migrates the fresh database; two started
    side by side would both create its tables."""
    args = ("--database-timeout", str(DATABASE_TIMEOUT_S))
    servers = [Server(tmp_path, cluster.url(database), None, *args) for _ in range(2)]
    try:
        for server in servers:
            server.start()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


@pytest.fixture
def database(cluster: Cluster) -> str:
    """The name of a fresh database on the cluster (``cluster.url(name)`` for the
    service's multi-host URL)."""
    name = f"ha_{uuid.uuid4().hex[:10]}"
    create_database(cluster, name)
    return name
