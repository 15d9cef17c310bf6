"""The service, as the USS of its native parties, notifies subscribed USSs the F3548 way.

A native operation is an operational intent the service manages; when it changes, the
subscribers over its old and new airspace get ``POST /uss/v1/operational_intents``
with the reference and details a details read gives, and their subscriptions' new
indices, through the outbox. Relay mode stays off here: these are the service's own
notifications, not relayed ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from deconflict.model.times import rfc3339
from deconflict.settings import DssSettings, Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, disclosures_about
from tests.e2e.notify.conftest import SC, subscribe
from tests.notify.helpers import Receiver, fast_notify, wait_for

OI = "/uss/v1/operational_intents"
PARTY = "army-cell"
OP_ID = "op-ridge-7"
CALL_SIGN = "VIPER11"
SECRET = "ridge-recce-at-dawn"
USS = "uss-a"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Relay off (the default): every POST seen here is the service's own."""
    return Settings(data_dir=tmp_path / "data", notify=fast_notify(), dss=DssSettings())


def native_body(lng: float = 7.0, lat: float = 46.0, **extra: Any) -> dict[str, Any]:
    """A 0.002° square at (lng, lat), 0-120 m, from 5 to 35 minutes from now: inside the
    subscriptions ``subscribe`` makes (2 km around 7° E 46° N, the next hour)."""
    d = 0.002
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    now = datetime.now(UTC)
    return {
        "priority": 0,
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 0,
                "altitude_upper_m": 120,
                "time_start": rfc3339(now + timedelta(minutes=5)),
                "time_end": rfc3339(now + timedelta(minutes=35)),
            }
        ],
        **extra,
    }


def plan(client: TestClient, auth: Headers, body: dict[str, Any] | None = None) -> None:
    r = client.put(f"/v1/operations/{OP_ID}", json=body or native_body(), headers=auth(PARTY))
    assert r.status_code in (200, 201), r.text


def told(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    """The first ``count`` notifications the receiver got, once it has them."""
    wait_for(lambda: len(receiver.bodies(OI)) >= count, f"{count} notification(s)")
    return receiver.bodies(OI)[:count]


def test_a_native_creation_notifies_the_subscribed_uss_with_details(
    client: TestClient, auth: Headers, receiver: Receiver, settings: Settings
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base)
    plan(client, auth, native_body(priority=0))

    [body] = told(receiver, 1)
    intent = body["operational_intent"]
    assert body["operational_intent_id"] == intent["reference"]["id"]
    assert intent["reference"]["manager"] == settings.dss.manager
    assert intent["reference"]["uss_base_url"] == settings.dss.base_url
    assert (intent["reference"]["state"], intent["reference"]["version"]) == ("Accepted", 1)
    assert len(intent["details"]["volumes"]) == 1 and intent["details"]["priority"] == 0
    assert body["subscriptions"] == [{"subscription_id": sub_id, "notification_index": 1}]


def test_a_native_notification_is_authorised_for_strategic_coordination(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    subscribe(client, auth, USS, receiver.base)
    plan(client, auth)
    told(receiver, 1)

    [sent] = [r for r in receiver.received if r.path == OI]
    token = sent.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["scope"] == SC and claims["aud"] == "127.0.0.1"


def test_a_native_change_bumps_the_subscription_index(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base)
    plan(client, auth)
    plan(client, auth, native_body(lng=7.001))

    created, updated = told(receiver, 2)
    assert [b["subscriptions"][0]["notification_index"] for b in (created, updated)] == [1, 2]
    assert updated["operational_intent"]["reference"]["version"] == 2
    r = client.get(f"/dss/v1/subscriptions/{sub_id}", headers=auth(USS, SC))
    assert r.json()["subscription"]["notification_index"] == 2


def test_a_native_deletion_notifies_without_details(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base)
    plan(client, auth)
    assert client.delete(f"/v1/operations/{OP_ID}", headers=auth(PARTY)).status_code == 200

    created, deleted = told(receiver, 2)
    assert deleted == {
        "operational_intent_id": created["operational_intent_id"],
        "subscriptions": [{"subscription_id": sub_id, "notification_index": 2}],
    }


def test_an_ended_native_operation_is_told_as_gone(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    subscribe(client, auth, USS, receiver.base)
    plan(client, auth)
    r = client.post(f"/v1/operations/{OP_ID}/state", json={"state": "Ended"}, headers=auth(PARTY))
    assert r.status_code == 200, r.text

    created, ended = told(receiver, 2)
    assert "operational_intent" not in ended
    assert ended["operational_intent_id"] == created["operational_intent_id"]


def test_a_notification_carries_no_party_or_callsign(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    subscribe(client, auth, USS, receiver.base)
    plan(client, auth, native_body(details={"call_sign": CALL_SIGN, "mission": SECRET}))

    [sent] = told(receiver, 1)
    text = str(sent)
    for private in (PARTY, OP_ID, CALL_SIGN, SECRET, "call_sign", "mission"):
        assert private not in text


def test_the_notified_ovn_is_the_one_the_details_read_gives(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    """Reference and details both: the notification is what a read answers."""
    subscribe(client, auth, USS, receiver.base)
    plan(client, auth)
    [body] = told(receiver, 1)

    r = client.get(f"{OI}/{body['operational_intent_id']}", headers=auth(USS, SC))
    assert r.status_code == 200, r.text
    assert body["operational_intent"] == r.json()["operational_intent"]
    assert (
        body["operational_intent"]["reference"]["ovn"]
        == r.json()["operational_intent"]["reference"]["ovn"]
    )


def test_a_subscription_elsewhere_is_not_notified(
    client: TestClient, auth: Headers, receiver: Receiver, store: SqlStore
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base)
    plan(client, auth, native_body(lng=8.0))  # some 75 km east of the subscription
    r = client.get(f"/dss/v1/subscriptions/{sub_id}", headers=auth(USS, SC))
    assert r.json()["subscription"]["notification_index"] == 0

    inside = client.put("/v1/operations/op-inside", json=native_body(), headers=auth(PARTY))
    assert inside.status_code == 201, inside.text
    [only] = told(receiver, 1)  # the one inside, queued after the one outside
    assert only["subscriptions"] == [{"subscription_id": sub_id, "notification_index": 1}]
    assert len(receiver.bodies(OI)) == 1


def test_a_native_operation_that_leaves_the_area_is_told_to_its_subscribers(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    """The old volumes count too: a subscriber learns the operation is no longer there."""
    sub_id = subscribe(client, auth, USS, receiver.base)
    plan(client, auth)
    plan(client, auth, native_body(lng=8.0))

    _, moved = told(receiver, 2)
    assert moved["subscriptions"] == [{"subscription_id": sub_id, "notification_index": 2}]
    [volume] = moved["operational_intent"]["details"]["volumes"]
    assert volume["volume"]["outline_polygon"]["vertices"][0]["lng"] == 8.0


def test_the_disclosure_is_in_the_owners_audit_record(
    client: TestClient, auth: Headers, receiver: Receiver, store: SqlStore
) -> None:
    subscribe(client, auth, USS, receiver.base)
    plan(client, auth)
    [body] = told(receiver, 1)

    [entry] = [e for e in disclosures_about(store, PARTY) if e.detail["via"] == "uss.notification"]
    assert (entry.actor, entry.object_kind, entry.object_id) == (USS, "operation", OP_ID)
    assert entry.detail["intent_id"] == body["operational_intent_id"]
    assert entry.detail["uss_base_url"] == receiver.base
    assert set(entry.detail["shown"]) >= {"volumes", "state", "priority"}
