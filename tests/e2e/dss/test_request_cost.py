"""The F3548 write path's cost is bounded too (issue 21, Critical): a footprint within
the 2,500 km² area can still be ragged (a strip around the Earth), so each extent's
covering keeps to the cell budget, and a request's extents are priced before any
covering is computed."""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlalchemy import func, select

from deconflict.api import deps
from deconflict.geo import covering as covering_module
from deconflict.geo.covering import CELL_BUDGET
from deconflict.store.schema import volume_cells
from deconflict.store.sql import SqlStore
from tests.e2e.dss.conftest import Dss, new_id, volume4d


def strip(lat: float = 0.0, width_deg: float = 0.0001) -> dict[str, Any]:
    """About 11 m by 39,000 km along a parallel: some 400 km², tens of thousands of
    level-13 cells."""
    south = [(-179.0 + 2.0 * k, lat) for k in range(180)]
    north = [(lon, lat + width_deg) for lon, _ in reversed(south)]
    ring = south + north
    return {"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in ring]}}


def test_an_intent_around_the_earth_is_indexed_within_the_cell_budget(
    dss: Dss, store: SqlStore
) -> None:
    intent_id = new_id()
    r = dss.alpha.create_intent(intent_id, extents=[volume4d(strip())])
    assert r.status_code == 201, r.text
    with store.session() as s:
        n = s.conn.execute(
            select(func.count()).where(volume_cells.c.operation_id == intent_id)
        ).scalar_one()
    assert 0 < n <= CELL_BUDGET


def test_many_ragged_extents_are_refused_before_any_covering(
    dss: Dss, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kw: Any) -> list[int]:
        raise AssertionError("a covering was computed for a request over a limit")

    monkeypatch.setattr(covering_module, "covering", refuse)
    covering_module._CACHE.clear()
    extents = [volume4d(strip(lat=0.001 * k)) for k in range(130)]
    r = dss.alpha.create_intent(new_id(), extents=extents)
    assert r.status_code == 400, r.text
    assert "DECONFLICT_LIMITS__MAX_REQUEST_CELLS" in r.json()["message"]


def fine_ring(lat: float, vertices: int = 6000) -> dict[str, Any]:
    """A 1 km circle drawn with thousands of vertices: a large body (about 300 KB) that
    costs a handful of cells."""
    ring = [
        (
            7.0 + 0.01 * math.cos(2 * math.pi * k / vertices),
            lat + 0.01 * math.sin(2 * math.pi * k / vertices),
        )
        for k in range(vertices)
    ]
    return {"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in ring]}}


def test_a_large_f3548_body_needs_the_uss_heavy_slot(dss: Dss) -> None:
    """While a USS runs a heavy request (its one slot held here), its next large body is
    answered 429 before it is validated; another USS's is not held up. The body is large
    in bytes, not in cells: the slot is about the body."""
    extents = [volume4d(fine_ring(lat=46.0))]
    gate = dss.client.app.dependency_overrides[deps.dependency(deps.party_gate)]()  # type: ignore[attr-defined]
    gate.acquire(dss.alpha.sub)
    try:
        r = dss.alpha.create_intent(new_id(), extents=extents)
        assert r.status_code == 429, r.text
        assert "HEAVY_SLOTS_PER_PARTY" in r.json()["message"]
        assert dss.beta.create_intent(new_id(), extents=extents).status_code == 201
    finally:
        gate.release(dss.alpha.sub)
    elsewhere = [volume4d(fine_ring(lat=47.0))]  # beta's is at 46
    assert dss.alpha.create_intent(new_id(), extents=elsewhere).status_code == 201
