"""Dead letters: given up after the configured time, listed for operators, retryable."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deconflict.settings import NotifySettings
from deconflict.store import outbox
from deconflict.store.sql import SqlStore
from tests.conftest import Headers
from tests.e2e.notify.conftest import new_id, subscribe
from tests.e2e.notify.test_uss_delivery import OI, put_intent
from tests.notify.helpers import Receiver, fast_notify, wait_for


@pytest.fixture
def notify_settings() -> NotifySettings:
    return fast_notify(give_up_s=0.3)


def test_undeliverable_notifications_are_dead_lettered_and_listed(
    client: TestClient, auth: Headers, receiver: Receiver, store: SqlStore
) -> None:
    subscribe(client, auth, "uss-a", receiver.base)
    receiver.status = 503
    put_intent(client, auth, new_id())

    def dead() -> bool:
        rows = store.run(
            lambda s: outbox.list_notifications(s.conn, outbox.OutboxStatus.FAILED), write=False
        )
        return len(rows) == 1

    wait_for(dead, "a dead letter")
    assert client.get("/v1/notifications?failed=true", headers=auth("op")).status_code == 403
    r = client.get("/v1/notifications?failed=true", headers=auth("op", "deconflict.admin"))
    assert r.status_code == 200
    (item,) = r.json()["notifications"]
    assert item["status"] == "failed" and item["attempts"] >= 1
    assert "503" in item["last_error"] and item["url"] == receiver.base + OI

    receiver.status = 204
    r = client.post(
        "/v1/notifications:retry",
        json={"ids": [item["id"]]},
        headers=auth("op", "deconflict.admin"),
    )
    assert r.json() == {"requeued": 1}
    wait_for(lambda: len(receiver.bodies(OI)) == 1, "the retried dead letter")
