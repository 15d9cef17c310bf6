"""Shared fixtures: a fresh store on SQLite always, and on PostgreSQL when configured;
the service on that store (``client``) and tokens minted with its key (``auth``).

A directory that needs other settings overrides ``settings``; ``client`` and ``auth``
then use its settings.

``DECONFLICT_TEST_DATABASE_URL`` names the PostgreSQL server (``.ci/run`` sets it).
Each xdist worker migrates once per backend and gives every test a copy of the migrated
database (``tests/stores.py``).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from deconflict.api.app import create_app
from deconflict.audit.entry import DISCLOSURE, AuditEntry
from deconflict.auth.keys import load_or_create_signing_key, signing_key_path
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings
from deconflict.store.audit import chain_pending, entries_about
from deconflict.store.sql import SqlStore, open_store
from tests.stores import PgSchemaPool, SqliteTemplate, plain_url, schema_url

PG_URL = os.environ.get("DECONFLICT_TEST_DATABASE_URL")

# The suite plans at fixed dates (2030 and later), years past the limits' 30-day plan
# horizon; every Settings (and every server a test starts) reads this. The horizon and
# the other limits are specified with their defaults in tests/e2e/limits/test_limits.py.
os.environ.setdefault("DECONFLICT_LIMITS__PLAN_HORIZON_S", str(20 * 365 * 86400))
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


SLOW_FIRST = (
    "tests/e2e/replicas/",
    "tests/e2e/packaging/",
    "tests/e2e/one_airspace/test_race.py",
    "tests/e2e/notify/test_crash.py",
    "test_schemathesis.py",
)
"""Tests of tens of seconds each (servers killed and restarted, a wheel built, races,
fuzzing): run first, so that xdist's last minutes are short tests that both workers
share, not one worker finishing a long one while the other waits."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow ones first (``SLOW_FIRST``), the rest in their usual order."""
    items.sort(key=lambda item: not any(part in item.nodeid for part in SLOW_FIRST))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """This worker's migrated SQLite database, copied for each test (``tests/stores.py``)."""
    return SqliteTemplate(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def pg_pool() -> Iterator[PgSchemaPool]:
    """This worker's migrated PostgreSQL schemas, each lent to one test at a time and
    reset to the migrated state in between (``tests/stores.py``); dropped at the end."""
    if PG_URL is None:
        pytest.skip("DECONFLICT_TEST_DATABASE_URL is not set")
    pool = PgSchemaPool(PG_URL)
    yield pool
    pool.close()


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate
) -> Iterator[SqlStore]:
    """A fresh, fully migrated store of the test's own, on each backend."""
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{sqlite_template.copy(tmp_path / 'test.db')}")
        yield s
        s.close()
    else:
        pool: PgSchemaPool = request.getfixturevalue("pg_pool")
        with pool.store() as s:
            yield s


Headers = Callable[..., dict[str, str]]
"""``auth(sub="alpha", *scopes)``: the Authorization header of a token for ``sub``."""


@pytest.fixture(scope="session")
def signing_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding only a signing key pair, made once per worker."""
    path = tmp_path_factory.mktemp("signing-key")
    load_or_create_signing_key(path)
    return path


@pytest.fixture
def keyed_data_dir(tmp_path: Path, signing_key_dir: Path) -> Path:
    """``tmp_path / "data"``, holding a copy of the worker's signing key pair (modes kept).

    Making an RSA key costs 0.05-0.3 s of CPU, and the service's key is only read, so
    the services of different tests may share one. Making it on first use is what
    tests/auth/test_keys.py and every ``deconflict serve`` the e2e tests start do.
    """
    data = tmp_path / "data"
    if not signing_key_path(data).exists():  # a test's own app may have made one already
        shutil.copytree(signing_key_dir, data, dirs_exist_ok=True)
    return data


@pytest.fixture
def settings(keyed_data_dir: Path) -> Settings:
    return Settings(data_dir=keyed_data_dir)


@pytest.fixture
def client(settings: Settings, store: SqlStore) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store)) as c:
        yield c


@pytest.fixture
def auth(settings: Settings) -> Headers:
    key = load_or_create_signing_key(settings.data_dir)

    def headers(sub: str = "alpha", *scopes: str) -> dict[str, str]:
        granted = list(scopes) or ["deconflict.plan", "deconflict.read"]
        issuer = settings.auth.issuer
        token = mint_token(key, sub=sub, scopes=granted, audience="localhost", issuer=issuer)
        return {"Authorization": f"Bearer {token}"}

    return headers


Grant = Callable[..., None]
"""``grant("beta", priority_max=10, off_nominal=True)``: the operator's grant to a party."""


def grant_party(client: TestClient, auth: Headers, party: str, **body: Any) -> None:
    """Set ``party``'s grant as the operator does (parties start at priority 0 only)."""
    admin = auth("operator", "deconflict.admin")
    r = client.put(f"/v1/parties/{party}/grant", json=body, headers=admin)
    assert r.status_code == 200, r.text


@pytest.fixture
def grant(client: TestClient, auth: Headers) -> Grant:
    """``grant_party`` on the test's service."""

    def give(party: str, **body: Any) -> None:
        grant_party(client, auth, party, **body)

    return give


def disclosures_about(store: SqlStore, subject: str) -> list[AuditEntry]:
    """The ``disclosure`` entries about ``subject``, in order, after chaining what is pending."""
    chain_pending(store)
    return store.run(
        lambda s: [c.entry for c in entries_about(s.conn, subject) if c.entry.kind == DISCLOSURE],
        write=False,
    )


def disclosed_about(store: SqlStore, subject: str) -> list[tuple[str, str, str]]:
    """``(actor, object id, via)`` of each disclosure about ``subject``."""
    return [(e.actor, e.object_id, e.detail["via"]) for e in disclosures_about(store, subject)]


def native_op(
    lon: float = 0.0, lat: float = 0.0, priority: int = 0, **extra: Any
) -> dict[str, Any]:
    """A native ``PUT /v1/operations/{id}`` body: one 0.01° square at (lon, lat),
    100-200 m, 2030-07-01 10:00-10:30Z; ``extra`` adds fields (``details``...)."""
    d = 0.01
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
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


def sse(text: str) -> list[dict[str, Any]]:
    """Parse an SSE body into its events (id, event, data), ``data`` decoded."""
    out = []
    for block in text.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in ("id", "event", "data"):
                fields[name] = value
        if "data" in fields:
            fields["data"] = orjson.loads(fields["data"])
            out.append(fields)
    return out


def catch_up(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """The party's ``/v1/events`` so far (``follow=false``), parsed."""
    r = client.get("/v1/events", params={"follow": "false", **params}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    return sse(r.text)


@contextmanager
def served(app: ASGIApp, **config: Any) -> Iterator[int]:
    """``app`` under a real uvicorn server on a free loopback port (yielded), in a
    thread, for tests that need real sockets: streams, disconnects, browsers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config.setdefault("log_level", "error")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15.0
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the service did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(5)


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://")


@pytest.fixture
def pg_schema() -> Iterator[Callable[[], str]]:
    """Makes fresh schemas on the shared server; returns URLs whose search_path is one."""
    import psycopg

    made: list[str] = []

    def make() -> str:
        assert PG_URL is not None
        schema = f"deconflict_r_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(plain_url(PG_URL), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return schema_url(sqlalchemy_url(plain_url(PG_URL)), schema)

    yield make
    if made:
        with psycopg.connect(plain_url(PG_URL or ""), autocommit=True) as conn:
            for schema in made:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_schema: Callable[[], str]
) -> str:
    """A URL of an empty database of each backend (nothing opened yet)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return pg_schema()
