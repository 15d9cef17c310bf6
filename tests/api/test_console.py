"""Where the console's files come from: a source checkout, or DECONFLICT_WEB_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.api import console
from deconflict.api.console import WEB_DIR_ENV, console_router


def _client() -> TestClient:
    app = FastAPI()
    app.include_router(console_router())
    return TestClient(app)


def _web(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "node_modules" / "leaflet" / "dist").mkdir(parents=True)
    (root / "index.html").write_text("<title>elsewhere</title>")
    (root / "src" / "app.js").write_text("// elsewhere")
    (root / "node_modules" / "leaflet" / "dist" / "leaflet.js").write_text("// leaflet")
    return root


def test_the_web_dir_setting_serves_the_console_from_that_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WEB_DIR_ENV, str(_web(tmp_path / "web")))
    client = _client()
    assert client.get("/").text == "<title>elsewhere</title>"
    assert client.get("/console/app.js").text == "// elsewhere"
    assert client.get("/console/vendor/leaflet/leaflet.js").text == "// leaflet"


def test_installed_without_a_checkout_or_setting_the_page_says_how_to_get_the_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(WEB_DIR_ENV, raising=False)
    monkeypatch.setattr(console, "source_web_dir", lambda: None)
    client = _client()
    for path in ("/", "/console/app.js"):
        r = client.get(path)
        assert r.status_code == 404
        assert f"{WEB_DIR_ENV}=/path/to/web deconflict serve" in r.text


def test_a_web_dir_setting_naming_no_directory_is_reported_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WEB_DIR_ENV, str(tmp_path / "nowhere"))
    r = _client().get("/")
    assert r.status_code == 404
    assert "No console directory at" in r.text
    assert WEB_DIR_ENV in r.text


def test_a_source_checkout_is_found_by_its_pyproject_beside_web() -> None:
    found = console.source_web_dir()
    assert found is not None
    assert (found / "index.html").is_file()
