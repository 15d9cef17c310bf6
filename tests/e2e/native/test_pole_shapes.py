"""Issue 16, defect 1, on the native API: a circle centred on a pole is planned and
checked like any other, and its conflict with a circle beside it is reported."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.settings import Settings
from tests.conftest import Headers

BESIDE_LAT = 90.0 - math.degrees(100.0 / EARTH_RADIUS_M)
"""100 m from the North Pole."""


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Exact conflict reports: these tests check the overlap's geometry itself, which
    reports to another party coarsen to cells by default (docs/disclosure.md)."""
    monkeypatch.setenv("DECONFLICT_LIMITS__REPORT_CELL_LEVEL", "30")
    return Settings(data_dir=tmp_path / "data")


def circle_op(lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    return {
        "volumes": [
            {
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "radius_m": radius_m,
                "altitude_lower_m": 0,
                "altitude_upper_m": 100,
                "time_start": "2030-07-01T10:00:00Z",
                "time_end": "2030-07-01T11:00:00Z",
            }
        ]
    }


def test_a_circle_beside_a_pole_circle_is_refused_with_the_overlap(
    client: TestClient, auth: Headers
) -> None:
    r = client.put("/v1/operations/pole", json=circle_op(0, 90, 500), headers=auth("alpha"))
    assert r.status_code == 201, r.text
    r = client.put("/v1/operations/near", json=circle_op(0, BESIDE_LAT, 50), headers=auth("beta"))
    assert r.status_code == 409, r.text
    [c] = r.json()["conflicts"]
    assert c["overlaps"][0]["area_m2"] == pytest.approx(math.pi * 50.0**2, rel=1e-3)


def test_checking_a_pole_circle_against_a_circle_beside_it_reports_the_conflict(
    client: TestClient, auth: Headers
) -> None:
    r = client.put("/v1/operations/near", json=circle_op(0, BESIDE_LAT, 50), headers=auth("alpha"))
    assert r.status_code == 201, r.text
    r = client.post("/v1/operations:check", json=circle_op(0, 90, 500), headers=auth("beta"))
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] is False
    assert len(r.json()["conflicts"]) == 1
