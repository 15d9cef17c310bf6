"""A real USS receiver on 127.0.0.1, the full app with its delivery worker, and helpers.

The receiver is ``http.server`` in a thread: it records every POST (path, headers,
JSON body) and can be stopped and restarted on the same port to play a USS that is
down for a while. Waits poll with a generous deadline that is only a safety net.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.settings import DssSettings, NotifySettings, Settings
from tests.conftest import Headers, native_op
from tests.notify.helpers import (
    fast_notify,
    receiver,  # noqa: F401
)

SC = "utm.strategic_coordination"
CM = "utm.constraint_management"
CP = "utm.constraint_processing"


@pytest.fixture
def notify_settings() -> NotifySettings:
    return fast_notify()


@pytest.fixture
def settings(keyed_data_dir: Path, notify_settings: NotifySettings) -> Settings:
    """These tests are about delivering what the service relays: relaying on."""
    relay = DssSettings(relay_uss_notifications=True)
    return Settings(data_dir=keyed_data_dir, notify=notify_settings, dss=relay)


# ------------------------------------------------------------------ request bodies


def rfc3339(t: datetime) -> dict[str, str]:
    return {"value": t.astimezone(UTC).isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def at(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def volume4d(lng: float = 7.0, lat: float = 46.0, radius: float = 300.0) -> dict[str, Any]:
    return {
        "volume": {
            "outline_circle": {
                "center": {"lng": lng, "lat": lat},
                "radius": {"value": radius, "units": "M"},
            },
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 120, "reference": "W84", "units": "M"},
        },
        "time_start": rfc3339(at(1)),
        "time_end": rfc3339(at(61)),
    }


def new_id() -> str:
    return str(uuid.uuid4())


def subscribe(
    client: TestClient, auth: Headers, uss: str, base: str, *, constraints: bool = False
) -> str:
    sub_id = new_id()
    r = client.put(
        f"/dss/v1/subscriptions/{sub_id}",
        json={
            "extents": volume4d(radius=2000),
            "uss_base_url": base,
            "notify_for_operational_intents": True,
            "notify_for_constraints": constraints,
        },
        headers=auth(uss, SC, CP),
    )
    assert r.status_code == 200, r.text
    return sub_id


__all__ = ["Headers", "native_op"]
