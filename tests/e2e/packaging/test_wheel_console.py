"""Issue 18: ``pip install`` of the wheel, then ``deconflict serve``, shows the console.

The wheel is built the way a user or a release builds it: an sdist of this checkout, and
the wheel from that sdist (which has no ``node_modules``, so the build runs ``npm ci`` for
the console's packages). It is installed into a new venv (``python -m venv``, no system or
dev-venv packages) with its dependencies from wheels of this venv's own distributions
(``wheelhouse.py``: no PyPI download per run), and the venv's ``deconflict serve`` runs
from a directory outside the checkout, without ``DECONFLICT_WEB_DIR``. Chromium, with any
request leaving the service refused, loads ``/``: the sign-in form, then the map after
signing in, every script and file answered (no 404).
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from deconflict.api.console import VENDOR
from deconflict.auth.scopes import Scope
from tests.e2e.console.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.packaging.wheelhouse import runtime_closure, wheelhouse

ROOT = Path(__file__).resolve().parents[3]
WHEELHOUSE = ROOT / ".venv" / ".test-wheelhouse"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _clean_env(*, pip_config: bool = True) -> dict[str, str]:
    """The environment without deconflict's settings or a PYTHONPATH.

    ``pip_config=False`` also drops pip's settings and configuration files (this
    machine's indexes, find-links and constraints), for the install into the new venv.
    """
    drop = ("DECONFLICT_", "PYTHON") if pip_config else ("DECONFLICT_", "PYTHON", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "VIRTUAL_ENV"}
    if not pip_config:
        env["PIP_CONFIG_FILE"] = os.devnull
    return env


def _run(
    *command: str | Path, cwd: Path | None = None, pip_config: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=_clean_env(pip_config=pip_config),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _build_wheel(tmp: Path) -> Path:
    dist = tmp / "dist"
    python = sys.executable
    _run(python, "-m", "build", "--sdist", "--no-isolation", "--outdir", dist, ROOT)
    (sdist,) = dist.glob("deconflict-*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "unpacked", filter="data")
    (source,) = (tmp / "unpacked").iterdir()
    assert not (source / "web" / "node_modules").exists()
    built = _run(python, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source)
    assert "npm ci" in built.stdout + built.stderr, built
    (wheel,) = dist.glob("deconflict-*.whl")
    return wheel


def _install(wheel: Path, venv: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        requires = email.message_from_bytes(z.read(meta)).get_all("Requires-Dist") or []
    house = wheelhouse(runtime_closure(requires), WHEELHOUSE)
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    _run(
        sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
        "--quiet", "--no-compile", "--no-index", "--find-links", house, wheel,
        pip_config=False,
    )  # fmt: skip


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """(URL, venv, data dir) of ``deconflict serve`` run from a venv holding only the wheel."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
    if shutil.which("npm") is None:
        pytest.skip("npm missing: the wheel's build needs it for the console (Node.js)")
    pytest.importorskip("playwright")
    pytest.importorskip("build")
    venv, data, port = tmp_path / "venv", tmp_path / "data", _free_port()
    t0 = time.monotonic()
    wheel = _build_wheel(tmp_path)
    t1 = time.monotonic()
    _install(wheel, venv)
    # Where the time goes (shown with -s); the load shares the figures' 2 cores.
    print(f"packaging: build {t1 - t0:.1f} s, install {time.monotonic() - t1:.1f} s, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    command = [venv / "bin" / "deconflict", "serve", "--port", str(port), "--data-dir", data]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(c) for c in command], cwd=tmp_path, env=_clean_env(), stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/healthy", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        else:
            pytest.fail("the installed service did not start")
        print(f"packaging: serve ready {time.monotonic() - t1:.1f} s after the install began")
        yield url, venv, data
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_the_installed_wheel_serves_the_console_with_its_vendored_files(
    installed: tuple[str, Path, Path],
) -> None:
    from playwright.sync_api import Route, expect, sync_playwright

    url, venv, data = installed
    # The console comes from the venv's package, not from this checkout's web/.
    where = _run(
        venv / "bin" / "python", "-c",
        "from deconflict.api.console import default_web_dir; print(default_web_dir())",
        cwd=data.parent,
    ).stdout.strip()  # fmt: skip
    assert where.startswith(str(venv)) and where.endswith("deconflict/console_assets"), where
    shipped = {p.name for p in (Path(where) / "node_modules").iterdir()}
    assert shipped == {sub.split("/")[0] for sub in VENDOR.values()}
    token = _run(
        venv / "bin" / "deconflict", "token", "--sub", "coalition", "--data-dir", data,
        "--scope", Scope.READ.value, "--scope", Scope.TRACK.value,
    ).stdout.strip()  # fmt: skip

    started = time.monotonic()
    failed: list[str] = []
    refused: list[str] = []
    vendored: list[str] = []

    def outside(route: Route) -> None:
        refused.append(route.request.url)
        route.abort()

    def answered(response: Any) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")
        elif "/console/vendor/" in response.url:
            vendored.append(urlsplit(response.url).path)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
        page.on("response", answered)
        page.route(lambda u: urlsplit(u).hostname not in LOCAL_HOSTS, outside)
        page.goto(url + "/")
        expect(page.locator("#sign-in")).to_be_visible()
        assert page.evaluate("typeof L === 'object' && typeof topojson === 'object'")

        page.locator("#token").fill(token)
        page.locator("#sign-in button[type=submit]").click()
        expect(page.locator("#sign-in-error")).to_be_empty()
        expect(page.locator("#who")).to_contain_text("Signed in as coalition")
        expect(page.locator("#map.leaflet-container")).to_be_visible()
        expect(page.locator("#map")).to_have_attribute("data-operations", "0")
        # The offline basemap (web/src/basemap.js) says "ready" once all its layers load.
        expect(page.locator("#map")).to_have_attribute("data-basemap", "ready", timeout=30_000)
        browser.close()
    print(f"packaging: browser {time.monotonic() - started:.1f} s")

    assert failed == [] and refused == [] and errors == [], (failed, refused, errors)
    assert "/console/vendor/leaflet/leaflet.js" in vendored
    assert "/console/vendor/topojson-client/topojson-client.min.js" in vendored
    assert any(p.endswith(".json") for p in vendored), vendored  # the basemap's data
