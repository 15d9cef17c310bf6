"""The full app with the hotline's escalation loop off (a test turns it on by
overriding ``hotline_settings``), and the party stream as ``(kind, data)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.settings import HotlineSettings, Settings
from tests.conftest import catch_up


@pytest.fixture
def hotline_settings() -> HotlineSettings:
    return HotlineSettings(escalation_in_process=False)


@pytest.fixture
def settings(keyed_data_dir: Path, hotline_settings: HotlineSettings) -> Settings:
    return Settings(data_dir=keyed_data_dir, hotline=hotline_settings)


def stream_of(client: TestClient, headers: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """``(kind, data)`` of every event the party's ``/v1/events`` stream has so far."""
    return [(e["event"], e["data"]["data"]) for e in catch_up(client, headers)]
