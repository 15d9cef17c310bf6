"""Issue 18: ``/ready`` says whether the process may take traffic; ``/healthy`` only
that it is alive."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from deconflict.api.app import create_app
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore


@pytest.fixture
def app(settings: Settings, store: SqlStore) -> FastAPI:
    return create_app(settings, store)


def test_a_service_on_a_current_database_with_its_keys_is_ready(app: FastAPI) -> None:
    with TestClient(app) as client:
        r = client.get("/ready")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "ready": True,
        "checks": {"database": "ok", "migrations": "ok", "keys": "ok"},
    }


def test_an_unreachable_database_is_not_ready_but_still_alive(
    app: FastAPI, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(app) as client:
        monkeypatch.setattr(store, "engine", create_engine("sqlite:////nonexistent/dir/x.db"))
        r = client.get("/ready")
        alive = client.get("/healthy")
        monkeypatch.undo()
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    assert r.json()["checks"]["database"] == "unreachable"
    assert "database: unreachable" in r.json()["message"]
    assert "nonexistent" not in r.text  # the driver's text goes to the log, not the probe
    assert alive.status_code == 200


def test_a_database_behind_on_migrations_is_not_ready(app: FastAPI, store: SqlStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with TestClient(app) as client:
        r = client.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"]["database"] == "ok"
    assert "schema at 0001" in r.json()["checks"]["migrations"]


def test_missing_keys_are_not_ready(app: FastAPI) -> None:
    with TestClient(app) as client:
        app.state.services.audit_key = None
        r = client.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"]["keys"] == "not loaded: audit key"
