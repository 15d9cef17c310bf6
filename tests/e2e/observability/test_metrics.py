"""Issue 18: ``/metrics`` gives an operator the service's figures in Prometheus format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from deconflict.api.app import create_app
from deconflict.errors import StoreUnavailable
from deconflict.settings import Settings
from deconflict.store import outbox
from deconflict.store.audit import chain_pending
from deconflict.store.schema_notify import notify_outbox
from deconflict.store.sql import SqlStore
from tests.conftest import Headers, native_op


@pytest.fixture
def app(settings: Settings, store: SqlStore) -> FastAPI:
    return create_app(settings, store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def samples(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples named ``name`` of one scrape, keyed by their sorted labels."""
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
        if s.name == name
    }


def test_requests_are_counted_by_route_template_and_status(
    client: TestClient, auth: Headers
) -> None:
    for op_id in ("a", "b", "c"):
        assert client.get(f"/v1/operations/{op_id}", headers=auth("alpha")).status_code == 404
    counts = samples(client, "deconflict_http_requests_total")
    key = (("method", "GET"), ("route", "/v1/operations/{op_id}"), ("status", "404"))
    assert counts[key] == 3
    assert not any(dict(k)["route"] == "/v1/operations/a" for k in counts)


def test_a_path_no_route_matches_is_one_series(client: TestClient) -> None:
    client.get("/no/such/path/1")
    client.get("/no/such/path/2")
    counts = samples(client, "deconflict_http_requests_total")
    key = (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
    assert counts[key] == 2


def test_request_latency_is_a_histogram_per_route(client: TestClient) -> None:
    for _ in range(2):
        client.get("/healthy")
    counts = samples(client, "deconflict_http_request_duration_seconds_count")
    assert counts[(("method", "GET"), ("route", "/healthy"))] == 2
    buckets = samples(client, "deconflict_http_request_duration_seconds_bucket")
    assert buckets[(("le", "+Inf"), ("method", "GET"), ("route", "/healthy"))] == 2


def test_planning_decisions_are_counted_by_outcome_with_the_conflicts_found(
    client: TestClient, auth: Headers
) -> None:
    assert (
        client.put("/v1/operations/a", json=native_op(), headers=auth("alpha")).status_code == 201
    )
    r = client.post("/v1/operations:check", json=native_op(lon=0.005), headers=auth("beta"))
    assert r.status_code == 200, r.text
    outcome = "accepted" if r.json()["accepted"] else "refused"
    decisions = samples(client, "deconflict_planning_decisions_total")
    assert decisions[(("kind", "submit"), ("outcome", "accepted"))] == 1
    assert decisions[(("kind", "check"), ("outcome", outcome))] == 1
    conflicts = samples(client, "deconflict_planning_conflicts_total")
    assert sum(v for k, v in conflicts.items() if dict(k)["kind"] == "check") == 1


def test_outbox_depth_and_dead_letters_are_read_from_the_database(
    app: FastAPI, store: SqlStore
) -> None:
    items = [
        outbox.NewNotification("c", "https://uss.example/n", "operational_intent", f"e{i}", "{}")
        for i in range(3)
    ]
    store.run(lambda s: outbox.add_notifications(s.conn, items, 0))
    with store.engine.begin() as conn:
        conn.execute(
            update(notify_outbox)
            .where(notify_outbox.c.entity_id == "e0")
            .values(status=outbox.OutboxStatus.FAILED.value)
        )
    # No lifespan: the delivery worker must not move the rows while they are counted.
    gauges = samples(TestClient(app), "deconflict_outbox_notifications")
    assert gauges == {(("status", "pending"),): 2, (("status", "failed"),): 1}


def test_each_app_has_its_own_registry(settings: Settings, store: SqlStore) -> None:
    """Many apps in one process (as in the tests) neither collide nor share counts."""
    first, second = create_app(settings, store), create_app(settings, store)
    with TestClient(first) as one, TestClient(second) as two:
        one.get("/healthy")
        key = (("method", "GET"), ("route", "/healthy"), ("status", "200"))
        assert samples(one, "deconflict_http_requests_total")[key] == 1
        assert key not in samples(two, "deconflict_http_requests_total")


def test_database_retries_and_give_ups_are_counted(
    app: FastAPI, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transient failure is retried (counted); past the deadline the caller gets a
    503 (counted as given up)."""
    failures = iter([True, True])

    def locked_twice(_: object) -> None:
        if next(failures, False):
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    def always_locked(_: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr("deconflict.store.sql._transient", lambda _: True)
    store.run(locked_twice, write=False)
    monkeypatch.setattr(store, "timeout_s", 0.0)
    with pytest.raises(StoreUnavailable):
        store.run(always_locked, write=False)
    # No lifespan: no background worker touches the store while it is being counted.
    scrape = TestClient(app)
    assert samples(scrape, "deconflict_store_retries_total") == {(): 2}
    assert samples(scrape, "deconflict_store_unavailable_total") == {(): 1}


def test_audit_chain_lag_is_the_entries_not_yet_chained(
    app: FastAPI, store: SqlStore, auth: Headers
) -> None:
    # No lifespan: the chainer is not running, so the entries wait until chained here.
    scrape = TestClient(app)
    assert (
        scrape.put("/v1/operations/a", json=native_op(), headers=auth("alpha")).status_code == 201
    )
    waiting = samples(scrape, "deconflict_audit_pending_entries")[()]
    assert waiting >= 1
    assert chain_pending(store) == waiting
    assert samples(scrape, "deconflict_audit_pending_entries") == {(): 0}


def test_delivery_attempts_are_exported_by_outcome(app: FastAPI) -> None:
    app.state.services.notify.worker.counts.add(delivered=3, failed=2, dead_lettered=1)
    attempts = samples(TestClient(app), "deconflict_notify_delivery_attempts_total")
    assert attempts == {
        (("outcome", "delivered"),): 3,
        (("outcome", "failed"),): 2,
        (("outcome", "dead_lettered"),): 1,
    }
