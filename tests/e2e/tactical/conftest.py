"""The service with the tactical router wired the way the app factory will wire it.

Passes are driven by the tests through a fake clock (the background ticker is off unless
a test turns it on), so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.access.agreements import Agreement, Grant
from deconflict.api.app import create_app
from deconflict.api.tactical import live_picture
from deconflict.api.tactical import router as tactical_router
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.service.services import Services
from deconflict.settings import Settings
from deconflict.store.sharing import save_agreement
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LiveConfig, LivePicture
from tests.tactical.helpers import T0, FakeClock, config

Headers = Callable[..., dict[str, str]]


def wire(app: FastAPI, cfg: LiveConfig, clock: Callable[[], datetime]) -> LivePicture:
    """What ``create_app`` will do: the two lines the report asks the lead to add."""
    services: Services = app.state.services
    services.live = live_picture(services, cfg, clock)
    app.include_router(tactical_router)
    return services.live


@pytest.fixture
def settings(keyed_data_dir: Path) -> Settings:
    return Settings(data_dir=keyed_data_dir)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: FakeClock) -> FastAPI:
    app = create_app(settings, store)
    wire(app, config(), clock)
    return app


@pytest.fixture
def live(app: FastAPI) -> LivePicture:
    services: Services = app.state.services
    return services.live


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def auth(settings: Settings) -> Headers:
    key = load_or_create_signing_key(settings.data_dir)

    def headers(sub: str = "alpha", *scopes: str) -> dict[str, str]:
        granted = list(scopes) or ["deconflict.track", "deconflict.plan", "deconflict.read"]
        issuer = settings.auth.issuer
        token = mint_token(key, sub=sub, scopes=granted, audience="localhost", issuer=issuer)
        return {"Authorization": f"Bearer {token}"}

    return headers


def report(
    ident: str,
    lon: float,
    at: datetime = T0,
    *,
    lat: float = 0.0,
    alt_m: float = 3000.0,
    gs_mps: float = 100.0,
    track_deg: float = 90.0,
    vs_mps: float = 0.0,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": ident,
        "time": at.isoformat().replace("+00:00", "Z"),
        "lat": lat,
        "lon": lon,
        "alt_m": alt_m,
        "gs_mps": gs_mps,
        "track_deg": track_deg,
        "vs_mps": vs_mps,
        **extra,
    }


def post(client: TestClient, headers: dict[str, str], *reports: dict[str, Any]) -> Any:
    r = client.post("/v1/tracks", json={"reports": list(reports)}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def events(client: TestClient, headers: dict[str, str], prefix: str = "") -> list[Any]:
    """The caller's party events so far (``/v1/events`` without following), as
    ``(kind, body)`` pairs, those whose kind starts with ``prefix``."""
    r = client.get("/v1/events", params={"follow": "false"}, headers=headers)
    assert r.status_code == 200, r.text
    out: list[Any] = []
    for block in r.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines and lines["event"].startswith(prefix):
            out.append((lines["event"], json.loads(lines["data"])["data"]))
    return out


def agree(app: FastAPI, a: str, b: str, *, telemetry: bool = False) -> None:
    """The operator records that ``a`` and ``b`` share call signs (and telemetry)."""
    grants = {Grant.CALL_SIGNS, *([Grant.TELEMETRY] if telemetry else [])}
    store: SqlStore = app.state.services.store
    store.run(lambda s: save_agreement(s, Agreement(a, b, frozenset(grants)), by="operator"))
