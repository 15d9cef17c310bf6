"""``deconflict serve`` killed with SIGKILL after a change and before its delivery: the
notification and the party event survive in the database and go out after restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.auth.trust import DEFAULT_ISSUER
from tests.e2e.notify.conftest import SC, new_id, volume4d
from tests.notify.helpers import Receiver, free_port, wait_for

DECONFLICT = Path(sys.executable).parent / "deconflict"


class Service:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, worker: bool) -> None:
        env = {
            **os.environ,
            "DECONFLICT_NOTIFY__WORKER_IN_PROCESS": "true" if worker else "false",
            "DECONFLICT_NOTIFY__POLL_INTERVAL_S": "0.05",
            # The notification this test follows is one the service relays.
            "DECONFLICT_DSS__RELAY_USS_NOTIFICATIONS": "true",
        }
        self.proc = subprocess.Popen(
            [str(DECONFLICT), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def healthy() -> bool:
            try:
                return httpx.get(self.url + "/healthy", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, "the service to start", 60)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    s = Service(tmp_path / "data", free_port())
    yield s
    if s.proc is not None:
        s.proc.terminate()
        s.proc.wait(10)


def test_sigkill_between_change_and_delivery_delivers_after_restart(
    service: Service, receiver: Receiver
) -> None:
    key = load_or_create_signing_key(service.data_dir)

    def headers(sub: str, *scopes: str) -> dict[str, str]:
        token = mint_token(key, sub=sub, scopes=scopes, audience="localhost", issuer=DEFAULT_ISSUER)
        return {"Authorization": f"Bearer {token}"}

    service.start(worker=False)
    sub_id = new_id()
    r = httpx.put(
        f"{service.url}/dss/v1/subscriptions/{sub_id}",
        json={
            "extents": volume4d(radius=2000),
            "uss_base_url": receiver.base,
            "notify_for_operational_intents": True,
        },
        headers=headers("uss-a", SC),
    )
    assert r.status_code == 200, r.text
    intent_id = new_id()
    r = httpx.put(
        f"{service.url}/dss/v1/operational_intent_references/{intent_id}",
        json={
            "extents": [volume4d()],
            "state": "Accepted",
            "uss_base_url": "http://uss-b.example",
            "key": [],
        },
        headers=headers("uss-b", SC),
    )
    assert r.status_code == 201, r.text
    service.kill()
    assert receiver.bodies() == []

    service.start(worker=True)
    wait_for(lambda: len(receiver.bodies()) == 1, "delivery after the restart")
    (body,) = receiver.bodies()
    assert body["operational_intent_id"] == intent_id
    assert body["subscriptions"] == [{"subscription_id": sub_id, "notification_index": 1}]

    # The manager's own event survived too, and a live SSE stream replays it.
    reader = headers("uss-b", "deconflict.read")
    with httpx.stream(
        "GET", f"{service.url}/v1/events", headers={**reader, "Last-Event-ID": "0"}, timeout=10
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                event = orjson.loads(line.removeprefix("data: "))
                break
    assert event["kind"] == "operational_intent.changed"
    assert event["data"]["operational_intent_id"] == intent_id
