"""A real service on a free port, its live picture on a fake clock, and Debian's Chromium.

The service runs in a thread of the test process so the test can move the tactical
clock: the river-valley flights are flown in no time, and what the browser sees depends
on the story's seconds, not on how fast this machine is. Nothing is installed here: when
``/usr/bin/chromium`` or ``web/node_modules`` is missing the tests skip and say which
``make test`` step provides it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from deconflict.api.app import create_app
from deconflict.api.console import default_web_dir
from deconflict.api.tactical import live_picture
from deconflict.auth.scopes import Scope
from deconflict.cli.scenario import PARTY_SCOPES
from deconflict.cli.token import token_command
from deconflict.settings import Settings
from deconflict.tactical.live import LiveConfig

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Service:
    url: str
    data_dir: Path
    clock: FakeClock

    def token(self, party: str, *, admin: bool = False) -> str:
        scopes = [*PARTY_SCOPES, Scope.ADMIN.value] if admin else PARTY_SCOPES
        return token_command(party, scopes, self.data_dir)

    def client(self, party: str, *, admin: bool = False) -> httpx.Client:
        token = self.token(party, admin=admin)
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
    web = default_web_dir()
    if web is None or not (web / "node_modules").is_dir():
        pytest.skip("web/node_modules missing: `make test` runs npm ci in web/")
    pytest.importorskip("playwright")
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    app.state.services.live = live_picture(
        app.state.services, LiveConfig(pass_interval_s=None), clock
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if server.started:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the service did not start")
    yield Service(url, data, clock)
    server.should_exit = True
    thread.join(timeout=10)


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A page that may reach this machine only: any other request is aborted and fails
    the test, so whatever the console draws (the basemap included) is proven offline."""
    from playwright.sync_api import Route, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 850})
        errors: list[str] = []
        outside: list[str] = []

        def local_only(route: Route) -> None:
            url = route.request.url
            if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        page.route("**/*", local_only)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        page.outside = outside
        yield page
        browser.close()
        assert not errors, f"JavaScript errors: {errors}"
        assert not outside, f"requests beyond this machine: {outside}"


@pytest.fixture
def shot() -> Callable[[Any, str], None]:
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page: Any, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    return take
