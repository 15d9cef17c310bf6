"""What one party was shown of another's operations is in the audit log, by subject."""

from __future__ import annotations

from fastapi.testclient import TestClient

from deconflict.store.sql import SqlStore
from tests.conftest import Grant, Headers, disclosed_about
from tests.e2e.access.conftest import plan


def test_listing_another_partys_operation_is_recorded_for_its_owner(
    client: TestClient, auth: Headers, store: SqlStore
) -> None:
    client.put("/v1/operations/a1", json=plan(), headers=auth("alpha"))
    client.get("/v1/operations", headers=auth("beta"))
    client.get("/v1/operations", headers=auth("alpha"))
    assert disclosed_about(store, "alpha") == [("beta", "a1", "list")]


def test_a_refusal_and_a_notice_are_recorded_as_disclosures_to_each_side(
    client: TestClient, auth: Headers, store: SqlStore, grant: Grant
) -> None:
    grant("beta", priority_max=5)
    client.put("/v1/operations/a1", json=plan(), headers=auth("alpha"))
    client.put("/v1/operations/b0", json=plan(lon=0.005), headers=auth("beta"))
    client.put("/v1/operations/b1", json=plan(lon=0.005, priority=5), headers=auth("beta"))
    assert disclosed_about(store, "alpha") == [
        ("beta", "a1", "put"),
        ("beta", "a1", "conflict.notice"),
        ("beta", "a1", "put"),
    ]
    assert disclosed_about(store, "beta") == [("alpha", "b1", "conflict.notice")]
