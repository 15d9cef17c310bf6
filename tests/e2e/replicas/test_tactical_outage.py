"""Issue 19: an alert detected while the database is down is not lost.

The service runs on a private PostgreSQL (``tests/store/pg_nodes.py``) that is stopped
before two aircraft converge. Their reports still reach the live picture (no database is
needed for that) and it detects the conflict; the alert events cannot be written then.
Once the database is started again they reach both parties' event streams, without a
restart and without another report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.service.live_picture import live_picture
from deconflict.settings import Settings
from deconflict.store.sql import open_store
from deconflict.tactical.live import PositionReport
from tests.e2e.tactical.conftest import events
from tests.store.pg_nodes import BINARIES, Node, multi_host_url
from tests.tactical.helpers import HEAD_ON_LON, FakeClock, config

pytestmark = pytest.mark.skipif(not BINARIES, reason="no PostgreSQL server binaries")

WAIT_S = 60.0
"""A safety net: the events not written by then are lost, and the test fails."""


@pytest.fixture
def node() -> Iterator[Node]:
    n = Node().start()
    yield n
    n.destroy()


def test_an_alert_detected_while_the_database_is_down_is_delivered_once_it_is_back(
    tmp_path: Path, node: Node
) -> None:
    from deconflict.auth.keys import load_or_create_signing_key
    from deconflict.auth.tokens import mint_token

    settings = Settings(data_dir=tmp_path / "data")
    store = open_store(multi_host_url(node), timeout_s=2)
    clock = FakeClock()
    app = create_app(settings, store)
    services = app.state.services
    services.live = live_picture(services, config(), clock)
    key = load_or_create_signing_key(settings.data_dir)

    def auth(sub: str) -> dict[str, str]:
        tok = mint_token(
            key,
            sub=sub,
            scopes=["deconflict.track", "deconflict.read"],
            audience="localhost",
            issuer=settings.auth.issuer,
        )
        return {"Authorization": f"Bearer {tok}"}

    try:
        with TestClient(app) as client:
            node.stop()
            now = clock.now
            services.live.submit(
                "alpha",
                [PositionReport.from_track("A1", "alpha", now, 0.0, 0.0, 3000.0, 100.0, 90.0, 0.0)],
            )
            services.live.submit(
                "beta",
                [
                    PositionReport.from_track(
                        "B1", "beta", now, 0.0, HEAD_ON_LON, 3000.0, 100.0, 270.0, 0.0
                    )
                ],
            )
            assert services.live.alerts_for("alpha"), "detected while the database is down"
            node.start()
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                try:
                    to_alpha = events(client, auth("alpha"), "alert.")
                    to_beta = events(client, auth("beta"), "alert.")
                except AssertionError:  # a 503 while the pool finds the server again
                    to_alpha = to_beta = []
                if to_alpha and to_beta:
                    break
                time.sleep(0.2)
            assert [k for k, _ in to_alpha] == ["alert.new"]
            assert [k for k, _ in to_beta] == ["alert.new"]
            assert to_alpha[0][1]["id"] == to_beta[0][1]["id"]
    finally:
        store.close()
