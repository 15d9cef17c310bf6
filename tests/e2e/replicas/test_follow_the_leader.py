"""Issue 19: ``deconflict serve`` on a replicated PostgreSQL. ``/ready`` says whether this
replica can write now (not on a standby), ``--database`` takes several hosts, a malformed
one is exit 2 naming the problem, and the URL is never printed with its password."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.settings import Settings
from deconflict.store.sql import open_store
from tests.e2e.replicas.conftest import DECONFLICT, free_port
from tests.store.pg_nodes import BINARIES, Node, multi_host_url
from tests.store.test_sql_failover import replicated

needs_binaries = pytest.mark.skipif(not BINARIES, reason="no PostgreSQL server binaries")


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Node, Node]]:
    primary = Node().start()
    standby: Node | None = None
    try:
        standby = Node(primary).start()
        open_store(multi_host_url(primary)).close()
        replicated(primary, standby)
        yield primary, standby
    finally:
        for node in (standby, primary):
            if node is not None:
                node.destroy()


def ready(tmp_path: Path, url: str) -> Any:
    store = open_store(url, timeout_s=2)
    try:
        with TestClient(create_app(Settings(data_dir=tmp_path / "data"), store)) as client:
            r = client.get("/ready")
            alive = client.get("/healthy").status_code
        return r, alive
    finally:
        store.close()


@needs_binaries
def test_a_replica_whose_database_is_a_standby_is_alive_but_not_ready(
    tmp_path: Path, pair: tuple[Node, Node]
) -> None:
    _, standby = pair
    r, alive = ready(tmp_path, multi_host_url(standby, attrs="any"))
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    assert r.json()["checks"]["database"].startswith("read-only")
    assert alive == 200


@needs_binaries
def test_a_replica_that_reaches_the_primary_through_several_hosts_is_ready(
    tmp_path: Path, pair: tuple[Node, Node]
) -> None:
    primary, standby = pair
    r, _ = ready(tmp_path, multi_host_url(standby, primary))
    assert r.status_code == 200, r.text


def serve(tmp_path: Path, database: str) -> subprocess.CompletedProcess[str]:
    cmd = [DECONFLICT, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path)]
    return subprocess.run(
        [*cmd, "--database", database], capture_output=True, text=True, timeout=60
    )


def test_a_malformed_multi_host_url_is_exit_2_naming_the_port(tmp_path: Path) -> None:
    done = serve(tmp_path, "postgresql://u:pw@127.0.0.1:5432,127.0.0.1:x/db")
    assert done.returncode == 2
    assert "--database" in done.stderr and "port" in done.stderr
    assert "Traceback" not in done.stderr
    assert "pw@" not in done.stderr
