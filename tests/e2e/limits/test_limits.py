"""Every request's cost is bounded and known before it runs (issue 21, Critical).

The attacks: a 214-byte ``:check`` of a 1,000 km circle, twelve large tiles spanning a
century, ``bbox=0,0,10,10``, and many huge F3548 extents. Each now gets a 4xx naming the
limit at once, before any covering is computed (``covering`` is replaced by a function
that fails the test if called). Heavy but legal requests run under a per-party gate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.api.app import create_app
from deconflict.core.engine import StrategicEngine
from deconflict.geo import covering as covering_module
from deconflict.settings import LimitsSettings, Settings
from deconflict.store.sql import SqlStore
from tests.conftest import Headers

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


def _t(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def vol(
    geometry: dict[str, Any],
    start: datetime = SOON,
    end: datetime | None = None,
    lo: float = 0.0,
    hi: float = 120.0,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "geometry": geometry,
        "altitude_lower_m": lo,
        "altitude_upper_m": hi,
        "time_start": _t(start),
        "time_end": _t(end or start + timedelta(minutes=30)),
        **extra,
    }


def circle(lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    return vol({"type": "Point", "coordinates": [lon, lat]}, radius_m=radius_m)


SMALL = vol(box(7.0, 46.0, 7.01, 46.01))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The service with the documented default limits (the suite's conftest widens the
    plan horizon for its fixed dates; these tests do not)."""
    return Settings(data_dir=tmp_path / "data", limits=LimitsSettings())


@pytest.fixture
def no_covering(monkeypatch: pytest.MonkeyPatch) -> None:
    """A covering computed for these requests fails the test: limits come first."""

    def refuse(*args: Any, **kw: Any) -> list[int]:
        raise AssertionError("a covering was computed for a request over a limit")

    monkeypatch.setattr(covering_module, "covering", refuse)
    covering_module._CACHE.clear()


def refused(r: Any, status: int, *words: str) -> str:
    assert r.status_code == status, r.text
    message: str = r.json()["message"]
    for word in words:
        assert word in message, message
    return message


# The attacks ------------------------------------------------------------------------


@pytest.mark.usefixtures("no_covering")
def test_a_dry_run_of_a_1000_km_circle_is_refused_naming_the_area_limit(
    client: TestClient, auth: Headers
) -> None:
    body = {"volumes": [circle(10.0, 50.0, 1_000_000.0)]}
    r = client.post("/v1/operations:check", json=body, headers=auth())
    refused(r, 400, "volumes[0].geometry", "2,500 km²", "DECONFLICT_LIMITS__MAX_AREA_KM2")


@pytest.mark.usefixtures("no_covering")
def test_twelve_large_tiles_spanning_a_century_are_refused(
    client: TestClient, auth: Headers
) -> None:
    century = SOON + timedelta(days=36500)
    tiles = [
        vol(box(-180.0 + 30 * k, -60.0, -150.0 + 30 * k, 60.0), end=century) for k in range(12)
    ]
    r = client.put("/v1/operations/tiles", json={"volumes": tiles}, headers=auth())
    refused(r, 400, "volumes[0].geometry", "DECONFLICT_LIMITS__MAX_AREA_KM2")


@pytest.mark.usefixtures("no_covering")
def test_a_small_volume_spanning_a_century_is_refused_naming_the_duration_limit(
    client: TestClient, auth: Headers
) -> None:
    long = vol(box(7.0, 46.0, 7.01, 46.01), end=SOON + timedelta(days=36500))
    r = client.post("/v1/operations:check", json={"volumes": [long]}, headers=auth())
    refused(r, 400, "volumes[0].time_end", "DECONFLICT_LIMITS__MAX_VOLUME_DURATION_S")


@pytest.mark.usefixtures("no_covering")
def test_a_bbox_of_ten_degrees_is_refused_naming_the_query_limit(
    client: TestClient, auth: Headers
) -> None:
    r = client.get("/v1/operations?bbox=0,0,10,10", headers=auth())
    refused(r, 400, "bbox", "DECONFLICT_LIMITS__MAX_QUERY_AREA_KM2")


@pytest.mark.usefixtures("no_covering")
def test_a_constraint_bbox_of_ten_degrees_is_refused(client: TestClient, auth: Headers) -> None:
    r = client.get("/v1/constraints?bbox=0,0,10,10", headers=auth())
    refused(r, 400, "bbox", "DECONFLICT_LIMITS__MAX_QUERY_AREA_KM2")


# Each limit ------------------------------------------------------------------------


@pytest.mark.usefixtures("no_covering")
def test_a_volume_past_the_plan_horizon_is_refused(client: TestClient, auth: Headers) -> None:
    late = vol(box(7.0, 46.0, 7.01, 46.01), start=SOON + timedelta(days=31))
    r = client.put("/v1/operations/late", json={"volumes": [late]}, headers=auth())
    refused(r, 400, "volumes[0].time_start", "30 days", "DECONFLICT_LIMITS__PLAN_HORIZON_S")


@pytest.mark.usefixtures("no_covering")
def test_an_altitude_band_over_the_span_limit_is_refused(client: TestClient, auth: Headers) -> None:
    tall = vol(box(7.0, 46.0, 7.01, 46.01), lo=0.0, hi=200_000.0)
    r = client.put("/v1/operations/tall", json={"volumes": [tall]}, headers=auth())
    refused(r, 400, "volumes[0].altitude_upper_m", "DECONFLICT_LIMITS__MAX_ALTITUDE_SPAN_M")


def test_a_volume_within_every_limit_is_planned(client: TestClient, auth: Headers) -> None:
    near = vol(box(7.0, 46.0, 7.4, 46.4), start=SOON + timedelta(days=29))  # ~1,400 km²
    r = client.put("/v1/operations/ok", json={"volumes": [near]}, headers=auth())
    assert r.status_code == 201, r.text


def _settings_with(tmp_path: Path, **limits: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", limits=LimitsSettings(**limits))


@pytest.fixture
def tight(tmp_path: Path, store: SqlStore) -> Iterator[TestClient]:
    """A service with small count limits, to reach them with small bodies."""
    settings = _settings_with(tmp_path, max_volumes=3, max_vertices=8, max_request_cells=200)
    with TestClient(create_app(settings, store)) as c:
        yield c


@pytest.mark.usefixtures("no_covering")
def test_more_volumes_than_allowed_get_413(tight: TestClient, auth: Headers) -> None:
    body = {"volumes": [SMALL] * 4}
    refused(tight.post("/v1/operations:check", json=body, headers=auth()), 413, "4 volumes")


@pytest.mark.usefixtures("no_covering")
def test_a_batch_counts_the_volumes_of_all_its_operations(tight: TestClient, auth: Headers) -> None:
    items = [{"id": f"b{k}", "volumes": [SMALL, SMALL]} for k in range(2)]
    r = tight.post("/v1/operations:batch", json={"operations": items}, headers=auth())
    refused(r, 413, "DECONFLICT_LIMITS__MAX_VOLUMES")


@pytest.mark.usefixtures("no_covering")
def test_footprints_estimated_past_the_request_cells_get_413(
    tight: TestClient, auth: Headers
) -> None:
    wide = vol(box(7.0, 46.0, 7.5, 46.5))  # ~2,100 km²: thousands of cells
    r = tight.post("/v1/operations:check", json={"volumes": [wide]}, headers=auth())
    refused(r, 413, "DECONFLICT_LIMITS__MAX_REQUEST_CELLS")


@pytest.mark.usefixtures("no_covering")
def test_a_polygon_over_the_vertex_limit_is_refused(tight: TestClient, auth: Headers) -> None:
    ring = [[7.0 + 0.001 * k, 46.0 + (0.001 if k % 2 else 0.0)] for k in range(10)]
    ring += [[7.009, 46.01], [7.0, 46.01], ring[0]]
    body = {"volumes": [vol({"type": "Polygon", "coordinates": [ring]})]}
    r = tight.post("/v1/operations:check", json=body, headers=auth())
    refused(r, 400, "volumes[0].geometry", "DECONFLICT_LIMITS__MAX_VERTICES")


@pytest.mark.usefixtures("no_covering")
def test_a_zone_sector_over_the_area_limit_is_refused(client: TestClient, auth: Headers) -> None:
    body = {
        "name": "river",
        "valid_start": _t(SOON),
        "valid_end": _t(SOON + timedelta(days=365)),
        "sectors": [{"party": "alpha", "geometry": box(0.0, 0.0, 10.0, 10.0)}],
    }
    r = client.put("/v1/zones/z1", json=body, headers=auth("operator", "deconflict.admin"))
    refused(r, 400, "sectors[0]", "DECONFLICT_LIMITS__MAX_AREA_KM2")


@pytest.mark.usefixtures("no_covering")
def test_a_constraint_volume_over_the_area_limit_is_refused(
    client: TestClient, auth: Headers
) -> None:
    body = {
        "type": "no_fly",
        "valid_start": _t(SOON),
        "valid_end": _t(SOON + timedelta(days=365)),
        "volumes": [vol(box(0.0, 0.0, 10.0, 10.0))],
    }
    r = client.put("/v1/constraints/c1", json=body, headers=auth("operator", "deconflict.admin"))
    refused(r, 400, "volumes[0].geometry", "DECONFLICT_LIMITS__MAX_AREA_KM2")


# Heavy requests: one party cannot starve the others ---------------------------------


Gated = tuple[TestClient, dict[str, threading.Event], threading.Event]


@pytest.fixture
def gated(tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gated]:
    """A service where any request over 50 estimated cells is heavy, and whose dry runs,
    once inside the engine, set their party's ``inside`` event and wait for
    ``release``: what runs at the same time is then known without any clock."""
    settings = _settings_with(
        tmp_path, heavy_request_cells=50, heavy_body_bytes=4000, heavy_slots_per_party=1
    )
    inside = {"alpha": threading.Event(), "bravo": threading.Event()}
    release = threading.Event()
    check = StrategicEngine.check

    def held_check(self: StrategicEngine, op: Any, *args: Any, **kw: Any) -> Any:
        inside[op.party].set()
        assert release.wait(30), "the test never released the heavy requests"
        return check(self, op, *args, **kw)

    monkeypatch.setattr(StrategicEngine, "check", held_check)
    with TestClient(create_app(settings, store)) as c:
        yield c, inside, release
        release.set()


HEAVY = {"volumes": [vol(box(7.0, 46.0, 7.05, 46.05))]}  # ~20 km²: about 90 cells
"""Heavy in ``gated``; ``SMALL`` (about 16 cells) is light there."""


def _in_thread(client: TestClient, party: str, auth: Headers, out: list[Any]) -> threading.Thread:
    def run() -> None:
        out.append(client.post("/v1/operations:check", json=HEAVY, headers=auth(party)))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_partys_second_heavy_request_gets_429_at_once(gated: Gated, auth: Headers) -> None:
    client, inside, release = gated
    first: list[Any] = []
    alpha = _in_thread(client, "alpha", auth, first)
    assert inside["alpha"].wait(30)  # alpha's heavy dry run holds alpha's only slot
    again = client.post("/v1/operations:check", json=HEAVY, headers=auth("alpha"))
    refused(again, 429, "alpha", "HEAVY_SLOTS_PER_PARTY")
    assert again.headers["Retry-After"] == "1"
    release.set()
    alpha.join(30)
    assert first[0].status_code == 200, first[0].text
    # the slot is free again once the request has finished
    later = client.post("/v1/operations:check", json=HEAVY, headers=auth("alpha"))
    assert later.status_code == 200, later.text


def test_one_partys_heavy_request_does_not_block_another_party(gated: Gated, auth: Headers) -> None:
    client, inside, release = gated
    first: list[Any] = []
    alpha = _in_thread(client, "alpha", auth, first)
    assert inside["alpha"].wait(30)
    # bravo is served while alpha's heavy request is still running: its light PUT
    # answers, and its own heavy dry run gets into the engine beside alpha's.
    put = client.put("/v1/operations/b1", json={"volumes": [SMALL]}, headers=auth("bravo"))
    assert put.status_code == 201, put.text
    second: list[Any] = []
    bravo = _in_thread(client, "bravo", auth, second)
    assert inside["bravo"].wait(30)
    assert not first  # alpha's is still running
    release.set()
    alpha.join(30)
    bravo.join(30)
    assert first[0].status_code == 200 and second[0].status_code == 200


def test_a_large_body_is_refused_before_it_is_validated(gated: Gated, auth: Headers) -> None:
    """A body over ``heavy_body_bytes`` needs the slot before its volumes are read: an
    invalid one gets 429, not the 400 its validation would give."""
    client, inside, release = gated
    first: list[Any] = []
    alpha = _in_thread(client, "alpha", auth, first)
    assert inside["alpha"].wait(30)
    junk = {"volumes": [{"geometry": {"type": "Polygon"}, "note": "x" * 5000}]}
    r = client.post("/v1/operations:check", json=junk, headers=auth("alpha"))
    refused(r, 429, "HEAVY_SLOTS_PER_PARTY")
    assert client.post("/v1/operations:check", json=junk, headers=auth("bravo")).status_code == 400
    release.set()
    alpha.join(30)
    assert first[0].status_code == 200
