"""One airspace, two processes: a real ``deconflict serve`` and a peer F3548 USS.

The service runs once per module (starting it costs seconds); every test gets its own
peer process, its own party names and its own patch of sky (``Sky``), so tests never see
each other's operations, subscriptions, grants or events. Tokens are minted with the
service's key by the function ``deconflict token`` runs.

Times are relative to the real clock: the DSS refuses intents in the past.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.auth.trust import DEFAULT_ISSUER
from deconflict.cli.token import token_command

ROOT = Path(__file__).resolve().parents[3]
DECONFLICT = str(Path(sys.executable).parent / "deconflict")
SC = "utm.strategic_coordination"
CP = "utm.constraint_processing"
NATIVE = ("deconflict.plan", "deconflict.read")
START_TIMEOUT_S = 60.0
"""A hang guard only: the service is healthy in a few seconds, the peer in under one."""
POLL_S = 0.02
SERVICE_ENV = {
    # The delivery worker's poll: notifications arrive within a few of these.
    "DECONFLICT_NOTIFY__POLL_INTERVAL_S": "0.05",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], bool], timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(POLL_S)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def rfc3339(t: datetime) -> dict[str, str]:
    return {"value": t.astimezone(UTC).isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Service:
    """``deconflict serve`` on SQLite in its own data directory."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.args = args
        self.env = {**SERVICE_ENV, **(env or {})}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, sub: str, *scopes: str) -> str:
        return token_command(sub, list(scopes), self.data_dir, issuer=DEFAULT_ISSUER)

    def headers(self, sub: str, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, *(scopes or NATIVE))}"}

    def start(self) -> Service:
        # The key pair is made before the server reads it: never two makers at once.
        self.token("operator", "deconflict.admin")
        # Keep the suite's wide plan horizon (tests/conftest.py), drop other settings.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DECONFLICT_") or k.startswith("DECONFLICT_LIMITS__")
        }
        env.update(self.env)
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            cmd = [DECONFLICT, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
            cmd += ["--database", f"sqlite:///{self.data_dir / 'deconflict.db'}", *self.args]
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
            try:
                wait_for(f"{self.url} healthy", self.healthy)
                return self
            except RuntimeError:
                continue
        raise RuntimeError(f"serve did not start: {self.log.read_text()[-2000:]}")

    def healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"serve exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/healthy", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    # the native API ---------------------------------------------------------------------

    def call(
        self, method: str, path: str, party: str, json: Any = None, *scopes: str
    ) -> httpx.Response:
        headers = self.headers(party, *scopes)
        return httpx.request(method, f"{self.url}{path}", json=json, headers=headers, timeout=10)

    def grant(self, party: str, **body: Any) -> None:
        """The operator's grant (a priority range) to a native party or a USS."""
        r = self.call("PUT", f"/v1/parties/{party}/grant", "operator", body, "deconflict.admin")
        assert r.status_code == 200, r.text

    def events(self, party: str) -> list[dict[str, Any]]:
        """The party's ``/v1/events`` so far, as (event, data) dicts."""
        r = self.call("GET", "/v1/events?follow=false", party)
        assert r.status_code == 200, r.text
        out = []
        for block in r.text.split("\n\n"):
            fields: dict[str, Any] = {}
            for line in block.splitlines():
                name, _, value = line.partition(": ")
                if name in ("id", "event", "data"):
                    fields[name] = value
            if "data" in fields:
                out.append(fields)
        return out


class PeerUss:
    """The peer USS process (``peer_uss.py``) and its control API."""

    def __init__(
        self, service: Service, sub: str, workdir: Path, scopes: tuple[str, ...] = (SC,)
    ) -> None:
        self.sub = sub
        workdir.mkdir(parents=True, exist_ok=True)
        token_file = workdir / "token"
        token_file.write_text(service.token(sub, *scopes))
        ready = workdir / "ready"
        self.log = workdir / "peer.log"
        cmd = [sys.executable, "-m", "tests.e2e.one_airspace.peer_uss", "--dss", service.url]
        cmd += ["--token-file", str(token_file), "--port", "0", "--ready-file", str(ready)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log)

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the peer exited: {self.log.read_text()[-2000:]}")
            return ready.exists()

        wait_for("the peer USS listening", listening)
        self.base = ready.read_text().strip()
        self.http = httpx.Client(base_url=self.base, timeout=30)

    def control(self, method: str, path: str, json: Any = None) -> Any:
        r = self.http.request(method, f"/control/{path}", json=json)
        assert r.status_code in (200, 204), r.text
        return r.json() if r.content else None

    def plan(self, *extents: dict[str, Any], **options: Any) -> dict[str, Any]:
        """The record of one plan: queries, details reads, key, DSS answer, notifications."""
        result: dict[str, Any] = self.control("POST", "plan", {"extents": list(extents), **options})
        return result

    def look(self, *extents: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Queries and details reads only, with the key a plan would send."""
        result: dict[str, Any] = self.control("POST", "look", {"extents": list(extents), **options})
        return result

    def query(self, area: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", "query", {"area": area})
        return result

    def subscribe(self, extent: dict[str, Any], **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", "subscribe", {"extents": extent, **options})
        return result

    def received(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control("GET", "received")
        return result

    def notifications(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.received()["notifications"]
        return found

    def stop(self) -> None:
        self.http.close()
        stop(self.proc)


@dataclass(frozen=True)
class Sky:
    """One test's own patch of sky (a 0.01° square) and its own names.

    The square, the window (a minute from now, for an hour) and 0-120 m are the same in
    both wire forms, so a native operation and an intent made from one ``Sky`` overlap.
    """

    lng: float
    lat: float
    tag: str
    start: datetime
    end: datetime

    def name(self, what: str) -> str:
        """A party or USS name of this test only (grants and events are per name)."""
        return f"{what}-{self.tag}"

    def ring(self, shift: float = 0.0) -> list[tuple[float, float]]:
        x, y, d = self.lng + shift, self.lat, 0.01
        return [(x, y), (x + d, y), (x + d, y + d), (x, y + d)]

    def extent(self, shift: float = 0.0) -> dict[str, Any]:
        """The square as an F3548 ``Volume4D`` (``shift`` in degrees east)."""
        return {
            "volume": {
                "outline_polygon": {
                    "vertices": [{"lng": x, "lat": y} for x, y in self.ring(shift)]
                },
                "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
                "altitude_upper": {"value": 120, "reference": "W84", "units": "M"},
            },
            "time_start": rfc3339(self.start),
            "time_end": rfc3339(self.end),
        }

    def operation(self, priority: int = 0, shift: float = 0.0, **extra: Any) -> dict[str, Any]:
        """The square as a native ``PUT /v1/operations/{id}`` body."""
        ring = [list(p) for p in self.ring(shift)]
        return {
            "priority": priority,
            "volumes": [
                {
                    "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                    "altitude_lower_m": 0,
                    "altitude_upper_m": 120,
                    "time_start": iso(self.start),
                    "time_end": iso(self.end),
                }
            ],
            **extra,
        }


_skies = itertools.count()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = Service(tmp_path_factory.mktemp("one-airspace")).start()
    yield s
    s.stop()


@pytest.fixture
def sky() -> Sky:
    """A fresh square: 0.05° apart, so no two tests' volumes or subscriptions meet."""
    n = next(_skies)
    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:8]
    return Sky(7.0 + 0.05 * n, 45.0, tag, now + timedelta(minutes=1), now + timedelta(hours=1))


@pytest.fixture
def peers(service: Service, sky: Sky, tmp_path: Path) -> Iterator[Callable[..., PeerUss]]:
    """Starts peer USS processes (``peers("uss")``, ``peers("b", SC, CP)``), each stopped
    at teardown; the USS's name is ``what`` plus the test's tag, its scopes ``SC`` alone
    unless given."""
    started: list[PeerUss] = []

    def start(what: str, *scopes: str) -> PeerUss:
        name = sky.name(what)
        peer = PeerUss(service, name, tmp_path / name, scopes or (SC,))
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.stop()


@pytest.fixture
def peer(peers: Callable[..., PeerUss]) -> PeerUss:
    return peers("uss")
