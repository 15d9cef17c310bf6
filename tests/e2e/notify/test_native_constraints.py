"""The service, as the USS of its native constraints, notifies subscribed USSs the F3548 way.

A native restricted or no-fly constraint is a constraint reference the service manages;
when it changes, the subscriptions that ask for constraints over its old and new
airspace are bumped and their USSs get ``POST /uss/v1/constraints`` with the reference
and details a details read gives, through the outbox (relay mode off: these are the
service's own notifications).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.model.times import rfc3339
from deconflict.settings import DssSettings, Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, disclosures_about
from tests.e2e.notify.conftest import CP, SC, subscribe
from tests.notify.helpers import Receiver, fast_notify, wait_for

CS = "/uss/v1/constraints"
OWNER = "army-cell"
CONSTRAINT_ID = "nfz-ridge-7"
SECRET_NAME = "ridge recce exclusion"
USS = "uss-a"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Relay off (the default): every POST seen here is the service's own."""
    return Settings(data_dir=tmp_path / "data", notify=fast_notify(), dss=DssSettings())


def constraint_body(kind: str = "no_fly") -> dict[str, Any]:
    """A 0.002° square at 7° E 46° N, from 5 to 35 minutes from now: inside the
    subscriptions ``subscribe`` makes (2 km around it, the next hour)."""
    d = 0.002
    ring = [[7.0, 46.0], [7.0 + d, 46.0], [7.0 + d, 46.0 + d], [7.0, 46.0 + d], [7.0, 46.0]]
    now = datetime.now(UTC)
    return {
        "type": kind,
        "name": SECRET_NAME,
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 0.0,
                "altitude_upper_m": 500.0,
                "time_start": rfc3339(now + timedelta(minutes=5)),
                "time_end": rfc3339(now + timedelta(minutes=35)),
            }
        ],
    }


def put(client: TestClient, auth: Headers, kind: str = "no_fly") -> None:
    r = client.put(
        f"/v1/constraints/{CONSTRAINT_ID}", json=constraint_body(kind), headers=auth(OWNER)
    )
    assert r.status_code in (200, 201), r.text


def delete(client: TestClient, auth: Headers) -> None:
    r = client.delete(f"/v1/constraints/{CONSTRAINT_ID}", headers=auth(OWNER))
    assert r.status_code in (200, 204), r.text


def told(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    """The first ``count`` constraint notifications the receiver got, once it has them."""
    wait_for(lambda: len(receiver.bodies(CS)) >= count, f"{count} notification(s)")
    return receiver.bodies(CS)[:count]


def test_a_native_no_fly_creation_notifies_the_subscribed_uss_with_details(
    client: TestClient, auth: Headers, receiver: Receiver, settings: Settings
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base, constraints=True)
    put(client, auth)

    [body] = told(receiver, 1)
    constraint = body["constraint"]
    assert body["constraint_id"] == constraint["reference"]["id"]
    assert constraint["reference"]["manager"] == settings.dss.manager
    assert constraint["reference"]["version"] == 1
    assert constraint["details"]["type"] == "org.deconflict.no_fly"
    assert len(constraint["details"]["volumes"]) == 1
    assert body["subscriptions"] == [{"subscription_id": sub_id, "notification_index": 1}]


def test_the_notified_constraint_is_what_the_details_read_gives(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    subscribe(client, auth, USS, receiver.base, constraints=True)
    put(client, auth)
    [body] = told(receiver, 1)

    r = client.get(f"{CS}/{body['constraint_id']}", headers=auth(USS, CP))
    assert r.status_code == 200, r.text
    assert body["constraint"] == r.json()["constraint"]


def test_a_native_constraint_change_bumps_the_subscription_index(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base, constraints=True)
    put(client, auth)
    put(client, auth, "restricted")

    created, updated = told(receiver, 2)
    assert [b["subscriptions"][0]["notification_index"] for b in (created, updated)] == [1, 2]
    assert updated["constraint"]["reference"]["version"] == 2
    r = client.get(f"/dss/v1/subscriptions/{sub_id}", headers=auth(USS, SC))
    assert r.json()["subscription"]["notification_index"] == 2


def test_a_native_constraint_deletion_is_notified_without_details(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base, constraints=True)
    put(client, auth)
    delete(client, auth)

    created, deleted = told(receiver, 2)
    assert deleted == {
        "constraint_id": created["constraint_id"],
        "subscriptions": [{"subscription_id": sub_id, "notification_index": 2}],
    }


def test_a_notification_carries_no_owner_or_native_id(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    subscribe(client, auth, USS, receiver.base, constraints=True)
    put(client, auth)

    [sent] = told(receiver, 1)
    text = str(sent)
    for private in (OWNER, CONSTRAINT_ID, SECRET_NAME):
        assert private not in text


def test_a_subscription_for_operational_intents_only_is_not_told(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base)
    subscribe(client, auth, "uss-b", receiver.base + "/b", constraints=True)
    put(client, auth)

    wait_for(lambda: len(receiver.bodies("/b" + CS)) == 1, "the other USS told")
    assert receiver.bodies(CS) == []
    r = client.get(f"/dss/v1/subscriptions/{sub_id}", headers=auth(USS, SC))
    assert r.json()["subscription"]["notification_index"] == 0


def test_an_advisory_constraint_is_not_told(
    client: TestClient, auth: Headers, receiver: Receiver
) -> None:
    sub_id = subscribe(client, auth, USS, receiver.base, constraints=True)
    put(client, auth, "advisory")
    r = client.get(f"/dss/v1/subscriptions/{sub_id}", headers=auth(USS, SC))
    assert r.json()["subscription"]["notification_index"] == 0


def test_the_disclosure_is_in_the_owners_audit_record(
    client: TestClient, auth: Headers, receiver: Receiver, store: SqlStore
) -> None:
    subscribe(client, auth, USS, receiver.base, constraints=True)
    put(client, auth)
    [body] = told(receiver, 1)

    [entry] = [e for e in disclosures_about(store, OWNER) if e.detail["via"] == "uss.notification"]
    assert (entry.actor, entry.object_kind, entry.object_id) == (USS, "constraint", CONSTRAINT_ID)
    assert entry.detail["constraint_reference_id"] == body["constraint_id"]
    assert entry.detail["uss_base_url"] == receiver.base
    assert set(entry.detail["shown"]) >= {"volumes", "type"}


def test_a_constraint_imported_with_the_cli_notifies_the_subscribed_uss(
    client: TestClient, auth: Headers, receiver: Receiver, store: SqlStore, tmp_path: Path
) -> None:
    """``deconflict zones import`` writes native constraints as the API does: a USS
    subscribed over one is told, whichever way the operator brought it in."""
    sub_id = subscribe(client, auth, USS, receiver.base, constraints=True)
    body = constraint_body()
    [volume] = body["volumes"]
    feature = {
        "type": "Feature",
        "geometry": volume["geometry"],
        "properties": {
            "constraint": CONSTRAINT_ID,
            "type": "no_fly",
            "name": SECRET_NAME,
            "altitude_lower_m": volume["altitude_lower_m"],
            "altitude_upper_m": volume["altitude_upper_m"],
            "time_start": volume["time_start"],
            "time_end": volume["time_end"],
        },
    }
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    url = store.engine.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(app, ["zones", "import", str(path), "--database", url])

    assert result.exit_code == 0, result.output
    [told_body] = told(receiver, 1)
    assert told_body["constraint"]["details"]["type"] == "org.deconflict.no_fly"
    assert told_body["subscriptions"] == [{"subscription_id": sub_id, "notification_index": 1}]
