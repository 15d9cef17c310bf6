"""Whether the service POSTs a USS's own DSS changes to the subscribers: only when told to.

F3548 makes the managing USS notify the subscribers the DSS answer lists; the service
relays on its behalf only with ``DssSettings.relay_uss_notifications`` (docs/dss.md).
Either way the answer lists the subscribers, so the USS can notify them itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from deconflict.api.app import create_app
from deconflict.settings import DssSettings, NotifySettings, Settings
from deconflict.store.schema_notify import notify_outbox
from deconflict.store.sql import SqlStore
from tests.conftest import Headers
from tests.e2e.notify.conftest import CM, SC, new_id, subscribe, volume4d

RECEIVER = "http://127.0.0.1:9/never-called"
"""Nothing is delivered here: the worker does not run (``worker_in_process`` off)."""


def app_with(tmp_path: Path, store: SqlStore, dss: DssSettings) -> TestClient:
    notify = NotifySettings(worker_in_process=False)
    return TestClient(
        create_app(Settings(data_dir=tmp_path / "data", notify=notify, dss=dss), store)
    )


@pytest.fixture
def default_client(tmp_path: Path, store: SqlStore) -> Iterator[TestClient]:
    with app_with(tmp_path, store, DssSettings()) as c:
        yield c


@pytest.fixture
def relaying_client(tmp_path: Path, store: SqlStore) -> Iterator[TestClient]:
    with app_with(tmp_path, store, DssSettings(relay_uss_notifications=True)) as c:
        yield c


def queued(store: SqlStore) -> list[tuple[str, str, str]]:
    """``(url, kind, entity id)`` of every notification in the outbox."""
    cols = (notify_outbox.c.url, notify_outbox.c.kind, notify_outbox.c.entity_id)
    rows = store.run(lambda s: s.conn.execute(select(*cols)).all(), write=False)
    return [(r[0], r[1], r[2]) for r in rows]


def put_intent(client: TestClient, auth: Headers) -> tuple[str, list[object]]:
    intent_id = new_id()
    r = client.put(
        f"/dss/v1/operational_intent_references/{intent_id}",
        json={
            "extents": [volume4d()],
            "state": "Accepted",
            "uss_base_url": "http://uss-b.example",
            "key": [],
        },
        headers=auth("uss-b", SC),
    )
    assert r.status_code == 201, r.text
    subscribers: list[object] = r.json()["subscribers"]
    return intent_id, subscribers


def put_constraint(client: TestClient, auth: Headers) -> str:
    constraint_id = new_id()
    r = client.put(
        f"/dss/v1/constraint_references/{constraint_id}",
        json={"extents": [volume4d()], "uss_base_url": "http://uss-b.example"},
        headers=auth("uss-b", CM),
    )
    assert r.status_code == 201, r.text
    return constraint_id


def test_by_default_a_uss_change_queues_no_notification_but_lists_its_subscribers(
    default_client: TestClient, auth: Headers, store: SqlStore
) -> None:
    sub_id = subscribe(default_client, auth, "uss-a", RECEIVER, constraints=True)
    _, subscribers = put_intent(default_client, auth)
    put_constraint(default_client, auth)
    assert subscribers == [
        {
            "uss_base_url": RECEIVER,
            "subscriptions": [{"subscription_id": sub_id, "notification_index": 1}],
        }
    ]
    assert queued(store) == []


def test_with_the_relay_on_a_uss_change_is_queued_for_each_subscriber(
    relaying_client: TestClient, auth: Headers, store: SqlStore
) -> None:
    subscribe(relaying_client, auth, "uss-a", RECEIVER, constraints=True)
    intent_id, _ = put_intent(relaying_client, auth)
    constraint_id = put_constraint(relaying_client, auth)
    assert sorted(queued(store)) == sorted(
        [
            (f"{RECEIVER}/uss/v1/operational_intents", "operational_intent", intent_id),
            (f"{RECEIVER}/uss/v1/constraints", "constraint", constraint_id),
        ]
    )
