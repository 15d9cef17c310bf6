"""Two USSs talking to the DSS test app, on every store backend.

Times in request bodies are relative to the real clock (a DSS must refuse the past), but
no test asserts on wall time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from deconflict.api.dss.testing import ISSUER, make_dss_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.scopes import Scope
from deconflict.auth.tokens import mint_token
from deconflict.store.sql import SqlStore

SC = Scope.STRATEGIC_COORDINATION.value
CM = Scope.CONSTRAINT_MANAGEMENT.value
CP = Scope.CONSTRAINT_PROCESSING.value
CMSA = Scope.CONFORMANCE_MONITORING_SA.value
AA = Scope.AVAILABILITY_ARBITRATION.value
ALL = (SC, CM, CP, CMSA, AA)

OIR = "/dss/v1/operational_intent_references"
CR = "/dss/v1/constraint_references"
SUBS = "/dss/v1/subscriptions"


def new_id() -> str:
    return str(uuid.uuid4())


def rfc3339(t: datetime) -> dict[str, str]:
    return {"value": t.astimezone(UTC).isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def at(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def circle(lng: float = 7.0, lat: float = 46.0, radius: float = 300.0) -> dict[str, Any]:
    return {
        "outline_circle": {
            "center": {"lng": lng, "lat": lat},
            "radius": {"value": radius, "units": "M"},
        }
    }


def square(lng: float = 7.0, lat: float = 46.0, half: float = 0.005) -> dict[str, Any]:
    ring = [
        (lng - half, lat - half),
        (lng + half, lat - half),
        (lng + half, lat + half),
        (lng - half, lat + half),
    ]
    return {"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in ring]}}


def alt(value: float) -> dict[str, Any]:
    return {"value": value, "reference": "W84", "units": "M"}


def volume4d(
    outline: dict[str, Any] | None = None,
    start: float = 1,
    end: float = 61,
    lo: float | None = 0,
    hi: float | None = 120,
) -> dict[str, Any]:
    """A Volume4D dict; ``start``/``end`` are minutes from now."""
    vol: dict[str, Any] = dict(outline if outline is not None else circle())
    if lo is not None:
        vol["altitude_lower"] = alt(lo)
    if hi is not None:
        vol["altitude_upper"] = alt(hi)
    return {"volume": vol, "time_start": rfc3339(at(start)), "time_end": rfc3339(at(end))}


def intent_body(
    *extents: dict[str, Any],
    state: str = "Accepted",
    key: list[str] | None = None,
    base: str = "https://uss.example.com",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extents": list(extents) or [volume4d()],
        "state": state,
        "uss_base_url": base,
        "key": key or [],
    }
    body.update(extra)
    return body


def sub_body(
    extent: dict[str, Any] | None = None,
    ops: bool = True,
    constraints: bool = False,
    base: str = "https://uss.example.com",
) -> dict[str, Any]:
    return {
        "extents": extent if extent is not None else volume4d(),
        "uss_base_url": base,
        "notify_for_operational_intents": ops,
        "notify_for_constraints": constraints,
    }


@dataclass
class Uss:
    """One USS: its client id (the token ``sub``) and a way to call the DSS as it."""

    sub: str
    client: TestClient
    key: Any
    base: str

    def headers(self, *scopes: str) -> dict[str, str]:
        token = mint_token(
            self.key,
            sub=self.sub,
            scopes=scopes or ALL,
            audience="localhost",
            issuer=ISSUER,
        )
        return {"Authorization": f"Bearer {token}"}

    def call(
        self, method: str, path: str, json: Any = None, scopes: tuple[str, ...] = ALL
    ) -> httpx.Response:
        return self.client.request(method, path, json=json, headers=self.headers(*scopes))

    # shortcuts -------------------------------------------------------------------------

    def create_intent(self, intent_id: str | None = None, **kw: Any) -> httpx.Response:
        kw.setdefault("base", self.base)
        extents = kw.pop("extents", ())
        scopes = kw.pop("scopes", ALL)
        return self.call(
            "PUT", f"{OIR}/{intent_id or new_id()}", intent_body(*extents, **kw), scopes
        )

    def update_intent(self, intent_id: str, ovn: str, **kw: Any) -> httpx.Response:
        kw.setdefault("base", self.base)
        extents = kw.pop("extents", ())
        scopes = kw.pop("scopes", ALL)
        return self.call("PUT", f"{OIR}/{intent_id}/{ovn}", intent_body(*extents, **kw), scopes)

    def create_sub(self, sub_id: str | None = None, **kw: Any) -> httpx.Response:
        kw.setdefault("base", self.base)
        return self.call("PUT", f"{SUBS}/{sub_id or new_id()}", sub_body(**kw))


@dataclass
class Dss:
    alpha: Uss
    beta: Uss
    client: TestClient


@pytest.fixture
def dss(store: SqlStore, signing_key_dir: Path) -> Iterator[Dss]:
    # The worker's one signing key (tests/conftest.py): an RSA key per test costs ~0.5 s.
    app = make_dss_app(store, signing_key_dir)
    key = load_or_create_signing_key(signing_key_dir)
    with TestClient(app) as client:
        yield Dss(
            alpha=Uss("uss-alpha", client, key, "https://alpha.example.com/utm"),
            beta=Uss("uss-beta", client, key, "https://beta.example.com/utm"),
            client=client,
        )
