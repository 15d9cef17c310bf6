"""A real app on a real store, and tokens for two parties minted with the service's key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def client(settings: Settings, store: SqlStore) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store)) as c:
        yield c


@pytest.fixture
def auth(settings: Settings) -> Headers:
    key = load_or_create_signing_key(settings.data_dir)

    def headers(sub: str = "alpha", *scopes: str) -> dict[str, str]:
        granted = list(scopes) or ["deconflict.plan", "deconflict.read"]
        token = mint_token(key, sub=sub, scopes=granted, audience="localhost", issuer="test")
        return {"Authorization": f"Bearer {token}"}

    return headers
