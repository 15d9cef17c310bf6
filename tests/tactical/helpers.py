"""Test helpers: placing aircraft by local offsets, and hypothesis strategies for traffic.

Traffic is drawn where spherical code breaks (poles, antimeridian) and with pairs built to
sit right at the protected-zone boundary in distance and time, where a broad phase that is
almost conservative would show its gap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from deconflict.tactical.conformance import ConformanceThresholds
from deconflict.tactical.live import LiveConfig
from deconflict.tactical.state import EARTH_RADIUS_M, StateVectors

SPECIAL_LATS = [-89.999, -89.9, -75.0, 0.0, 52.0, 89.9, 89.999]
SPECIAL_LONS = [-180.0, -179.999, 0.0, 179.999, 180.0]


def wrap_lon(lon: float) -> float:
    return (lon + 540.0) % 360.0 - 180.0


def offset(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point reached from (lat, lon) along the great circle with that east/north start."""
    d = math.hypot(east_m, north_m) / EARTH_RADIUS_M
    if d == 0.0:
        return lat, lon
    brg = math.atan2(east_m, north_m)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(
        max(-1.0, min(1.0, math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(brg)))
    )
    l2 = l1 + math.atan2(
        math.sin(brg) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), wrap_lon(math.degrees(l2))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, clockwise from north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


Aircraft = tuple[float, float, float, float, float, float]  # lat, lon, alt, vn, ve, vs


def states(
    aircraft: Sequence[Aircraft], parties: Sequence[str | None] | None = None
) -> StateVectors:
    cols = list(zip(*aircraft, strict=True)) if aircraft else [()] * 6
    return StateVectors.from_arrays(
        [f"A{k:03d}" for k in range(len(aircraft))], *cols, parties=parties
    )


def polar(gs: float, track_deg: float) -> tuple[float, float]:
    t = math.radians(track_deg)
    return gs * math.cos(t), gs * math.sin(t)


lats = st.one_of(st.sampled_from(SPECIAL_LATS), st.floats(-89.999, 89.999))
lons = st.one_of(st.sampled_from(SPECIAL_LONS), st.floats(-180.0, 180.0))
speeds = st.one_of(st.just(0.0), st.just(260.0), st.floats(0.0, 260.0))
vspeeds = st.one_of(st.just(0.0), st.floats(-20.0, 20.0))


@st.composite
def scattered(draw: st.DrawFn, lat0: float, lon0: float, spread_m: float) -> Aircraft:
    """An aircraft anywhere within ``spread_m`` of the centre, any velocity."""
    lat, lon = offset(
        lat0,
        lon0,
        draw(st.floats(-spread_m, spread_m)),
        draw(st.floats(-spread_m, spread_m)),
    )
    vn, ve = polar(draw(speeds), draw(st.floats(0.0, 360.0)))
    return (lat, lon, draw(st.floats(0.0, 3000.0)), vn, ve, draw(vspeeds))


@st.composite
def boundary_pair(
    draw: st.DrawFn, lat0: float, lon0: float, radius_m: float, lookahead_s: float
) -> tuple[Aircraft, Aircraft]:
    """Two aircraft whose closest approach is within a few percent of ``R`` and ``T``.

    Built in the local plane at the first aircraft: the second starts where the relative
    motion brings it to ``R (1 + eps)`` from the first at ``T (1 + delta)``. Flat-plane
    construction on a sphere is approximate, which is fine: it only has to land *near* the
    boundary, on either side.
    """
    gs_a = draw(speeds)
    va = polar(gs_a, draw(st.floats(0.0, 360.0)))
    # Head-on at equal speed is the case where the broad-phase bound is tight.
    vb = (
        (-va[0], -va[1])
        if draw(st.booleans())
        else polar(draw(speeds), draw(st.floats(0.0, 360.0)))
    )
    eps = draw(st.floats(-0.05, 0.05))
    tc = lookahead_s * (1.0 + draw(st.floats(-0.05, 0.05)))
    side = math.radians(draw(st.floats(0.0, 360.0)))
    miss_n = radius_m * (1.0 + eps) * math.cos(side)
    miss_e = radius_m * (1.0 + eps) * math.sin(side)
    rel_n, rel_e = vb[0] - va[0], vb[1] - va[1]
    lat_b, lon_b = offset(lat0, lon0, miss_e - rel_e * tc, miss_n - rel_n * tc)
    alt = draw(st.floats(0.0, 3000.0))
    dz = draw(st.floats(-400.0, 400.0))
    a: Aircraft = (lat0, lon0, alt, va[0], va[1], draw(vspeeds))
    b: Aircraft = (lat_b, lon_b, alt + dz, vb[0], vb[1], draw(vspeeds))
    return a, b


@st.composite
def traffic(draw: st.DrawFn) -> tuple[list[Aircraft], float, float, float]:
    """A cluster of scattered aircraft plus boundary pairs; returns (aircraft, R, H, T)."""
    lat0, lon0 = draw(lats), draw(lons)
    radius = draw(st.sampled_from([50.0, 1000.0, 9260.0, 20_000.0]))
    half = draw(st.sampled_from([15.0, 304.8, 600.0]))
    lookahead = draw(st.sampled_from([10.0, 120.0, 300.0]))
    spread = draw(st.floats(1_000.0, 2.0 * radius + 600.0 * lookahead))
    out = draw(st.lists(scattered(lat0, lon0, spread), min_size=0, max_size=12))
    for a, b in draw(st.lists(boundary_pair(lat0, lon0, radius, lookahead), max_size=3)):
        out += [a, b]
    return out, radius, half, lookahead


T0 = datetime(2030, 7, 1, 10, 5, tzinfo=UTC)
"""Inside the time window of ``tests.e2e.native.test_native.body()`` operations."""


@dataclass
class FakeClock:
    now: datetime = T0
    calls: int = field(default=0)

    def __call__(self) -> datetime:
        self.calls += 1
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def config(**changes: Any) -> LiveConfig:
    base: dict[str, Any] = {
        "pass_interval_s": None,
        "conformance": ConformanceThresholds(nonconforming_after_s=10, contingent_after_s=60),
        "conformance_tolerance_m": 5.0,
    }
    return LiveConfig(**{**base, **changes})


HEAD_ON_LON = 0.18
"""About 20 km east of lon 0 on the equator: head-on at 100 m/s each, the 5 NM zone is
entered after about 54 s (a caution), well inside the 300 s lookahead."""
