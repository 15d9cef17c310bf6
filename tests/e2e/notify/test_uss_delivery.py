"""F3548 notifications reach a real receiver: bodies, indices, tokens, order, retries."""

from __future__ import annotations

import jwt
from fastapi.testclient import TestClient

from deconflict.auth.keys import load_or_create_signing_key
from deconflict.settings import Settings
from deconflict.store import outbox
from deconflict.store.sql import SqlStore
from tests.conftest import Headers
from tests.e2e.notify.conftest import CM, SC, new_id, subscribe, volume4d
from tests.notify.helpers import Receiver, wait_for

OI = "/uss/v1/operational_intents"
CONSTRAINTS = "/uss/v1/constraints"


def put_intent(client: TestClient, auth: Headers, intent_id: str, ovn: str | None = None) -> str:
    path = f"/dss/v1/operational_intent_references/{intent_id}"
    if ovn is not None:
        path += f"/{ovn}"
    r = client.put(
        path,
        json={
            "extents": [volume4d()],
            "state": "Accepted",
            "uss_base_url": "http://uss-b.example",
            "key": [],
        },
        headers=auth("uss-b", SC),
    )
    assert r.status_code in (200, 201), r.text
    new_ovn: str = r.json()["operational_intent_reference"]["ovn"]
    return new_ovn


def test_a_subscriber_gets_each_change_with_its_index_and_a_token_for_it(
    client: TestClient, auth: Headers, receiver: Receiver, settings: Settings
) -> None:
    sub_id = subscribe(client, auth, "uss-a", receiver.base)
    intent_id = new_id()
    ovn1 = put_intent(client, auth, intent_id)
    ovn2 = put_intent(client, auth, intent_id, ovn1)
    r = client.delete(
        f"/dss/v1/operational_intent_references/{intent_id}/{ovn2}", headers=auth("uss-b", SC)
    )
    assert r.status_code == 200, r.text
    wait_for(lambda: len(receiver.bodies(OI)) == 3, "three notifications")

    created, updated, deleted = receiver.bodies(OI)
    assert [b["subscriptions"] for b in (created, updated, deleted)] == [
        [{"subscription_id": sub_id, "notification_index": i}] for i in (1, 2, 3)
    ]
    assert created["operational_intent_id"] == intent_id
    ref = created["operational_intent"]["reference"]
    assert (ref["id"], ref["ovn"], ref["manager"], ref["version"]) == (
        intent_id,
        ovn1,
        "uss-b",
        1,
    )
    details = created["operational_intent"]["details"]
    assert details["priority"] == 0 and details["off_nominal_volumes"] == []
    circle = details["volumes"][0]["volume"]["outline_circle"]
    assert circle["center"] == {"lng": 7.0, "lat": 46.0}
    assert updated["operational_intent"]["reference"]["ovn"] == ovn2
    assert "operational_intent" not in deleted

    # The token is ours, for the receiver's host, with the endpoint's scope.
    header = receiver.received[0].headers["Authorization"]
    public = load_or_create_signing_key(settings.data_dir).public_key()
    claims = jwt.decode(header.removeprefix("Bearer "), public, ["RS256"], audience="127.0.0.1")
    assert claims["scope"] == SC and claims["sub"] == settings.notify.service_subject


def test_constraint_subscribers_get_constraint_bodies_with_the_cm_scope(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    sub_id = subscribe(client, auth, "uss-a", receiver.base, constraints=True)
    cid = new_id()
    r = client.put(
        f"/dss/v1/constraint_references/{cid}",
        json={"extents": [volume4d()], "uss_base_url": "http://authority.example"},
        headers=auth("authority", CM),
    )
    assert r.status_code in (200, 201), r.text
    wait_for(lambda: len(receiver.bodies(CONSTRAINTS)) == 1, "the constraint notification")
    body = receiver.bodies(CONSTRAINTS)[0]
    assert body["constraint_id"] == cid
    assert body["subscriptions"] == [{"subscription_id": sub_id, "notification_index": 1}]
    assert body["constraint"]["reference"]["ovn"] == r.json()["constraint_reference"]["ovn"]
    assert body["constraint"]["details"]["volumes"][0]["volume"]["outline_circle"]
    token = receiver.received[0].headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["scope"] == CM


def test_a_receiver_that_was_down_gets_everything_in_order(
    client: TestClient, auth: Headers, receiver: Receiver, store: SqlStore
) -> None:
    sub_id = subscribe(client, auth, "uss-a", receiver.base)
    receiver.stop()
    intent_id = new_id()
    ovn = put_intent(client, auth, intent_id)
    for _ in range(4):
        ovn = put_intent(client, auth, intent_id, ovn)

    def retried() -> bool:
        rows = store.run(lambda s: outbox.list_notifications(s.conn, None), write=False)
        return len(rows) == 5 and rows[0].attempts >= 2

    wait_for(retried, "failed attempts while the receiver is down")
    receiver.start()
    wait_for(lambda: len(receiver.bodies(OI)) == 5, "all five after the receiver is back")
    indices = [b["subscriptions"][0]["notification_index"] for b in receiver.bodies(OI)]
    assert indices == [1, 2, 3, 4, 5]
    assert all(b["subscriptions"][0]["subscription_id"] == sub_id for b in receiver.bodies(OI))
