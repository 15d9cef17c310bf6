"""Issue 18: ``serve``'s log lines carry the request id, as text or as JSON objects."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconflict.api.app import create_app
from deconflict.api.logs import JsonFormatter, log_config
from deconflict.cli.main import app as cli
from deconflict.settings import Settings
from deconflict.store.sql import SqlStore


@pytest.fixture
def app(settings: Settings, store: SqlStore) -> FastAPI:
    app = create_app(settings, store)

    @app.get("/__fails")
    def fails() -> str:
        raise RuntimeError("the probe's own fault")

    return app


@pytest.fixture
def lenient(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_a_500_logs_one_json_object_with_its_request_id_and_traceback(
    lenient: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="deconflict.api.errors"):
        r = lenient.get("/__fails", headers={"X-Request-ID": "trace-me-1"})
    assert r.status_code == 500
    [record] = [rec for rec in caplog.records if rec.exc_info]
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "trace-me-1" == r.json()["error_id"]
    assert entry["level"] == "ERROR"
    assert "the probe's own fault" in entry["traceback"]


def _log_line(fmt: str) -> str:
    """What one warning looks like on stderr under ``serve``'s logging configuration."""
    code = (
        "import logging, logging.config\n"
        "from deconflict.api.logs import log_config\n"
        f"logging.config.dictConfig(log_config({fmt!r}))\n"
        "logging.getLogger('deconflict.x').warning('outside any request')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stderr.strip()


def test_json_log_lines_are_objects_with_a_request_id_field() -> None:
    entry = json.loads(_log_line("json"))
    assert entry["request_id"] == "-"
    assert entry["logger"] == "deconflict.x"
    assert entry["message"] == "outside any request"


def test_text_log_lines_show_the_request_id() -> None:
    assert "WARNING [-] deconflict.x: outside any request" in _log_line("text")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_serve_logs_in_the_configured_format(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: ran.update(kwargs))
    monkeypatch.setenv("DECONFLICT_LOG_FORMAT", fmt)
    result = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert ran["log_config"] == log_config(fmt)  # type: ignore[arg-type]
