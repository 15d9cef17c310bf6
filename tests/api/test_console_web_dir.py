"""Which console the service serves: the setting, the wheel's, or the checkout's web/."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.api import console
from deconflict.api.console import PACKAGED_MISSING, WEB_DIR_ENV, console_router


def _client() -> TestClient:
    app = FastAPI()
    app.include_router(console_router())
    return TestClient(app)


def _web(root: Path, title: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "node_modules" / "leaflet" / "dist").mkdir(parents=True)
    (root / "index.html").write_text(f"<title>{title}</title>")
    (root / "src" / "app.js").write_text(f"// {title}")
    (root / "node_modules" / "leaflet" / "dist" / "leaflet.js").write_text(f"// {title}")
    return root


def test_the_wheels_console_is_served_before_a_checkouts_web_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WEB_DIR_ENV, raising=False)
    monkeypatch.setattr(console, "PACKAGED_DIR", _web(tmp_path / "assets", "packaged"))
    monkeypatch.setattr(console, "source_web_dir", lambda: _web(tmp_path / "web", "checkout"))
    client = _client()
    assert client.get("/").text == "<title>packaged</title>"
    assert client.get("/console/app.js").text == "// packaged"
    assert client.get("/console/vendor/leaflet/leaflet.js").text == "// packaged"


def test_the_web_dir_setting_overrides_the_wheels_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "PACKAGED_DIR", _web(tmp_path / "assets", "packaged"))
    monkeypatch.setenv(WEB_DIR_ENV, str(_web(tmp_path / "own", "own build")))
    assert _client().get("/").text == "<title>own build</title>"


def test_a_checkout_without_packaged_assets_serves_its_web_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WEB_DIR_ENV, raising=False)
    monkeypatch.setattr(console, "PACKAGED_DIR", tmp_path / "no-assets")
    monkeypatch.setattr(console, "source_web_dir", lambda: _web(tmp_path / "web", "checkout"))
    assert _client().get("/").text == "<title>checkout</title>"


def test_a_wheel_built_without_its_console_says_why_and_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / PACKAGED_MISSING).write_text(
        "This deconflict has no web console: npm (Node.js) was not found when it was built.\n"
    )
    monkeypatch.delenv(WEB_DIR_ENV, raising=False)
    monkeypatch.setattr(console, "PACKAGED_DIR", assets)
    monkeypatch.setattr(console, "source_web_dir", lambda: None)
    r = _client().get("/")
    assert r.status_code == 404
    assert "npm (Node.js) was not found when it was built" in r.text
    assert "<code>pip wheel .</code>" in r.text
    assert f"{WEB_DIR_ENV}=/path/to/web deconflict serve" in r.text


def test_the_editable_install_of_this_checkout_serves_its_web_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing is copied into the source package: web/ is served as it is edited.
    monkeypatch.delenv(WEB_DIR_ENV, raising=False)
    assert console.packaged_web_dir() is None
    assert console.default_web_dir() == console.source_web_dir()
