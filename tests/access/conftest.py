"""The app on a real store, tokens for several parties, and agreements set as the
operator would (straight into the store, as ``deconflict parties share`` does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from deconflict.access.agreements import Agreement, parse_grants
from deconflict.api.app import create_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings
from deconflict.store.sharing import save_agreement
from deconflict.store.sql import SqlStore

Headers = Callable[..., dict[str, str]]
Share = Callable[..., None]


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


@pytest.fixture
def share(store: SqlStore) -> Share:
    def agree(a: str, b: str, *grants: str) -> None:
        agreement = Agreement(a, b, parse_grants(grants))
        store.run(lambda s: save_agreement(s, agreement, by="operator"), write=True)

    return agree


def plan(lon: float = 0.0, priority: int = 0, **extra: Any) -> dict[str, Any]:
    d = 0.01
    ring = [[lon, 0.0], [lon + d, 0.0], [lon + d, d], [lon, d], [lon, 0.0]]
    return {
        "priority": priority,
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100,
                "altitude_upper_m": 200,
                "time_start": "2030-07-01T10:00:00Z",
                "time_end": "2030-07-01T10:30:00Z",
            }
        ],
        **extra,
    }


def events(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The party's event log, caught up once (SSE ``data`` lines decoded)."""
    r = client.get("/v1/events", params={"follow": "false"}, headers=headers)
    assert r.status_code == 200, r.text
    return [
        orjson.loads(line.removeprefix("data: "))
        for line in r.text.splitlines()
        if line.startswith("data: ")
    ]
