"""Issue 19: ``deconflict serve`` on a replicated PostgreSQL. ``/ready`` says whether this
replica can write now (not on a standby), ``--database`` takes several hosts, a malformed
one is exit 2 naming the problem, and the URL is never printed with its password."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.settings import Settings
from deconflict.store.sql import open_store
from tests.e2e.replicas.conftest import DECONFLICT, free_port, token
from tests.e2e.replicas.test_pg_restart import body
from tests.store.pg_nodes import BINARIES, Node, multi_host_url
from tests.store.test_sql_failover import replicated, start_pair

HANG_S = 20.0
"""A request outstanding this long is a hang (the deadline is 3 s)."""
RECOVERY_S = 60.0
"""A safety net: no successful write on the new primary by then is a failure."""

needs_binaries = pytest.mark.skipif(not BINARIES, reason="no PostgreSQL server binaries")


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Node, Node]]:
    yield from start_pair()


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


@needs_binaries
def test_the_service_follows_a_failover_answering_only_2xx_or_503_meanwhile(
    tmp_path: Path, servers: Any
) -> None:
    """``deconflict serve`` on [primary, standby]: the primary is killed and the standby
    promoted under writes; every answer is 2xx or 503 with Retry-After, none hangs, and
    the same process writes again on the new primary without a restart."""
    pair_iter = start_pair()
    primary, standby = next(pair_iter)
    try:
        url = multi_host_url(primary, standby)
        server = servers(tmp_path, url, "--database-timeout", "3")
        headers = {"Authorization": f"Bearer {token(tmp_path, 'failover-test')}"}
        statuses: list[int] = []
        with httpx.Client(base_url=server.url, headers=headers, timeout=HANG_S) as http:

            def put(n: int) -> int:
                try:
                    r = http.put(f"/v1/operations/op-{n}", json=body(n))
                except httpx.TimeoutException:
                    pytest.fail(f"no answer within {HANG_S} s: a hang")
                if r.status_code == 503:
                    assert r.headers.get("retry-after"), r.headers
                statuses.append(r.status_code)
                return r.status_code

            assert put(0) == 201
            replicated(primary, standby)
            primary.stop("immediate")
            standby.promote()
            n = 1
            deadline = time.monotonic() + RECOVERY_S
            while put(n) != 201 and time.monotonic() < deadline:
                n += 1
                time.sleep(0.1)
            assert statuses[-1] == 201, statuses
            assert set(statuses) <= {201, 503}, statuses
            assert http.get("/v1/operations/op-0").status_code == 200
    finally:
        for _ in pair_iter:
            pass
