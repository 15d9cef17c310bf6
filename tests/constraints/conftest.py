"""The API fixtures of ``tests/api`` (a real app on a real store, minted tokens)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.api.constraints import router
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore
from tests.api.conftest import auth, settings

__all__ = ["auth", "client", "settings"]


@pytest.fixture
def client(settings: Settings, store: SqlStore) -> Iterator[TestClient]:
    app = create_app(settings, store)
    if not any(getattr(r, "path", "") == "/v1/constraints" for r in app.routes):
        app.include_router(router)  # TEMPORARY until app.py includes it
    with TestClient(app) as c:
        yield c
