"""Synthetic plans: a day of drone traffic over a metropolitan region, as GeoJSON.

Benchmarks and demos need plans that look like real traffic, because uniform random
boxes make both the broad phase and the conflict count unrealistically easy or hard.
The traffic here follows the structure that dense U-space proposals use:

* parties (drone service providers) fly from their own depots; most flights are
  deliveries from a depot to a customer 1-12 km away and back, a few are survey areas;
* corridors fly in altitude *layers chosen by heading* (like the semicircular rule of
  manned aviation), so crossing traffic is vertically separated and conflicts come
  mostly from near-parallel traffic and from surveys and hover circles;
* every party deconflicts strategically before filing, first come first served: a
  flight that would overlap one filed earlier is refused and re-planned (here: replaced
  by a later candidate), so the plan is what the airspace could take; about 1 % of
  operations are filed without checking (careless filers), and the conflicts they bring
  are what ``deconflict check`` finds (a few percent of operations at 100,000 a day).

Everything is drawn as NumPy columns (a few arrays per operation, not dicts), so a
100,000-operation plan costs little memory; features are built one operation at a time
only when they are written. The result is deterministic for a given seed.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from deconflict.geo.earth import EARTH_RADIUS_M

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


@dataclass(frozen=True)
class Region:
    """A lon/lat box (degrees) in which depots, customers and survey areas lie."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        if not (
            -180.0 <= self.west < self.east <= 180.0 and -85.0 <= self.south < self.north <= 85.0
        ):
            raise ValueError(f"not a usable region (no antimeridian, no poles): {self}")

    @classmethod
    def around(cls, lon: float, lat: float, width_km: float, height_km: float) -> Region:
        """A box of about ``width_km`` x ``height_km`` centred on (lon, lat)."""
        half_lat = height_km * 500.0 / _M_PER_DEG
        half_lon = width_km * 500.0 / (_M_PER_DEG * math.cos(math.radians(lat)))
        return cls(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.west + self.east) / 2.0, (self.south + self.north) / 2.0)


DEFAULT_REGION = Region.around(8.68, 50.11, 150.0, 150.0)
"""Frankfurt am Main and its surroundings, about 150 km x 150 km."""

DEFAULT_START = datetime(2026, 7, 1, tzinfo=UTC)
"""Midnight UTC of the day the plan covers; traffic runs from about 06:00 to 22:00."""


@dataclass(frozen=True)
class Party:
    name: str
    delivery_share: float
    survey_share: float
    medical_share: float
    """Share of this party's deliveries flown at priority 10 (medical)."""


PARTIES: tuple[Party, ...] = (
    Party("skyparcel", 0.26, 0.00, 0.00),
    Party("wingdrop", 0.20, 0.00, 0.00),
    Party("rheinmain-air", 0.16, 0.05, 0.00),
    Party("medifly", 0.08, 0.00, 0.60),
    Party("quickrotor", 0.14, 0.00, 0.01),
    Party("aerocargo-hub", 0.16, 0.00, 0.00),
    Party("geoscan-uas", 0.00, 0.55, 0.00),
    Party("gridinspect", 0.00, 0.40, 0.00),
)

MEDICAL_PRIORITY = 10
SURVEY_SHARE = 0.15
SURVEY_CANDIDATE_SHARE = 0.145
"""Surveys among the candidates: filed first, they are refused less than deliveries."""
UNCOORDINATED_SHARE = 0.012
"""Operations filed without strategic deconfliction; they keep whatever conflicts they have."""
OPS_PER_DEPOT = 120
"""Candidate flights per depot and day; the depot count grows with the plan."""
POOL_FACTOR = 2.5
"""Candidates drawn per wanted operation; refused candidates stand for re-planned ones."""

MIN_AGL_M = 30.0
MAX_AGL_M = 150.0
SECTORS = 8
"""Heading sectors of 45 degrees, each with its own cruising layers."""
LAYER_STEP_M = 13.5
LAYER_THICKNESS_M = 10.0
"""Layers are levels of the ellipsoid (every 13.5 m), not heights above ground, so that
flights from places with different ground share them; level j belongs to sector j mod 8.
A flight takes the lowest level of its sector at least 30 m above its ground, which is
below 150 m because eight steps plus a thickness fit in the 120 m between."""
BUFFER_S = 30
"""Consecutive volumes of one flight overlap by this much, as F3548 operators file them."""


@dataclass
class _Columns:
    """One row per volume; a flat table so that checks and writing are vectorised."""

    op: IntArray
    kind: IntArray  # _CORRIDOR, _HOVER, _AREA
    lon0: FloatArray
    lat0: FloatArray
    lon1: FloatArray
    lat1: FloatArray
    size_m: FloatArray  # corridor width, hover radius, survey largest vertex distance
    lo: FloatArray
    hi: FloatArray
    t0: IntArray
    t1: IntArray
    role: IntArray


_CORRIDOR, _HOVER, _AREA = 0, 1, 2
_MAX_SURVEY_VERTICES = 20
_ROLES = ("outbound", "hover", "return", "transfer", "survey")


def ground_elevation_m(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """A smooth synthetic terrain, 100-300 m above the ellipsoid.

    Fixed (not seeded) so that the same place has the same ground in every plan, and
    smooth over tens of kilometres so that nearby flights share a ground reference.
    """
    a = np.sin(np.radians(lon) * 97.0 + 0.7) * np.cos(np.radians(lat) * 131.0 - 0.3)
    b = np.sin(np.radians(lon + lat) * 53.0 + 1.9)
    value: FloatArray = 200.0 + 70.0 * a + 30.0 * b
    return value


def _destination(
    lon: FloatArray, lat: FloatArray, bearing: FloatArray, dist_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``deconflict.geo.earth.destination`` over arrays (same formula, same sphere)."""
    lat1 = np.radians(lat)
    lon1 = np.radians(lon)
    d = dist_m / EARTH_RADIUS_M
    sin_lat2 = np.sin(lat1) * np.cos(d) + np.cos(lat1) * np.sin(d) * np.cos(bearing)
    lat2 = np.arcsin(np.clip(sin_lat2, -1.0, 1.0))
    y = np.sin(bearing) * np.sin(d) * np.cos(lat1)
    x = np.cos(d) - np.sin(lat1) * sin_lat2
    lon2 = (np.degrees(lon1 + np.arctan2(y, x)) + 540.0) % 360.0 - 180.0
    return lon2, np.degrees(lat2)


def _bearing(lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray) -> FloatArray:
    """Initial great-circle bearing (radians, clockwise from north) from 0 to 1."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(lon1 - lon0)
    result: FloatArray = np.arctan2(
        np.sin(dl) * np.cos(p1), np.cos(p0) * np.sin(p1) - np.sin(p0) * np.cos(p1) * np.cos(dl)
    )
    return result


def _day_seconds(
    rng: np.random.Generator, n: int, lo_h: float, hi_h: float | FloatArray
) -> FloatArray:
    """Departure times with a morning and an evening peak over a flat daytime base."""
    kind = rng.choice(3, size=n, p=[0.3, 0.35, 0.35])
    t = np.where(
        kind == 0,
        rng.normal(10.0, 1.4, n),
        np.where(kind == 1, rng.normal(18.0, 1.5, n), rng.uniform(lo_h, hi_h, n)),
    )
    clipped: FloatArray = np.clip(t, lo_h, hi_h) * 3600.0
    return clipped


def _dm(x: FloatArray) -> FloatArray:
    """Rounded to decimetres: what a plan file needs, and shorter to write."""
    result: FloatArray = np.round(x, 1)
    return result


@dataclass
class _Plan:
    """The drawn plan: per-operation attributes and the volume table."""

    party: IntArray
    priority: IntArray
    coordinated: BoolArray
    survey: FloatArray  # per operation: lon, lat, radius, phase; then bearing jitters, radii
    survey_n: IntArray  # vertices of the survey area (0 for deliveries)
    volumes: _Columns

    def subset(self, keep: IntArray) -> _Plan:
        """The operations ``keep``, renumbered from 0 in that order."""
        new_index = np.full(self.party.size, -1, dtype=np.int64)
        new_index[keep] = np.arange(keep.size)
        rows = new_index[self.volumes.op] >= 0
        v = self.volumes
        picked = {name: getattr(v, name)[rows] for name in _Columns.__dataclass_fields__}
        picked["op"] = new_index[v.op[rows]]
        order = np.lexsort((picked["t0"], picked["op"]))
        return _Plan(
            self.party[keep],
            self.priority[keep],
            self.coordinated[keep],
            self.survey[keep],
            self.survey_n[keep],
            _Columns(**{name: column[order] for name, column in picked.items()}),
        )

    def first_start(self) -> IntArray:
        first = np.full(self.party.size, np.iinfo(np.int64).max)
        np.minimum.at(first, self.volumes.op, self.volumes.t0)
        return first


def _draw(operations: int, rng: np.random.Generator, region: Region) -> _Plan:
    n = operations
    lon_c, lat_c = region.centre
    half_w = (region.east - region.west) / 2.0
    half_h = (region.north - region.south) / 2.0

    # Depots, assigned to delivery parties by market share, clustered on the city.
    deliverers = [i for i, p in enumerate(PARTIES) if p.delivery_share > 0]
    shares = np.array([PARTIES[i].delivery_share for i in deliverers])
    shares = shares / shares.sum()
    n_depots = max(2 * len(deliverers), math.ceil(n / OPS_PER_DEPOT))
    depot_party = np.sort(rng.choice(len(deliverers), size=n_depots, p=shares))
    for k in range(len(deliverers)):  # every provider has at least one depot
        if not np.any(depot_party == k):
            depot_party[k] = k
    depot_party = np.sort(depot_party)
    urban = rng.random(n_depots) < 0.55
    dlon = np.where(urban, rng.normal(0.0, 0.3, n_depots), rng.uniform(-0.9, 0.9, n_depots))
    dlat = np.where(urban, rng.normal(0.0, 0.3, n_depots), rng.uniform(-0.9, 0.9, n_depots))
    depot_lon = lon_c + np.clip(dlon, -0.9, 0.9) * half_w
    depot_lat = lat_c + np.clip(dlat, -0.9, 0.9) * half_h
    first_depot = np.searchsorted(depot_party, np.arange(len(deliverers)))
    depot_count = np.bincount(depot_party, minlength=len(deliverers))

    is_survey = rng.random(n) < SURVEY_CANDIDATE_SHARE
    surveyors = [i for i, p in enumerate(PARTIES) if p.survey_share > 0]
    s_shares = np.array([PARTIES[i].survey_share for i in surveyors])
    s_shares = s_shares / s_shares.sum()
    d_choice = rng.choice(len(deliverers), size=n, p=shares)
    s_choice = rng.choice(len(surveyors), size=n, p=s_shares)
    party = np.where(
        is_survey, np.array(surveyors)[s_choice], np.array(deliverers)[d_choice]
    ).astype(np.int64)
    medical_share = np.array([p.medical_share for p in PARTIES])
    medical = ~is_survey & (rng.random(n) < medical_share[party])
    priority = np.where(medical, MEDICAL_PRIORITY, 0).astype(np.int64)
    coordinated = rng.random(n) >= UNCOORDINATED_SHARE

    depot = first_depot[d_choice] + (rng.random(n) * depot_count[d_choice]).astype(np.int64)
    o_lon, o_lat = depot_lon[depot], depot_lat[depot]

    # Deliveries: depot -> customer, 1-12 km, shorter ones more common.
    dist = 1000.0 + 11000.0 * rng.beta(1.6, 3.2, n)
    bearing = rng.uniform(0.0, 2.0 * math.pi, n)
    c_lon, c_lat = _destination(o_lon, o_lat, bearing, dist)
    outside = (c_lon < region.west) | (c_lon > region.east)
    outside |= (c_lat < region.south) | (c_lat > region.north)
    bearing = np.where(outside, bearing + math.pi, bearing) % (2.0 * math.pi)
    c_lon, c_lat = _destination(o_lon, o_lat, bearing, dist)
    width = np.round(rng.uniform(60.0, 120.0, n) / 5.0) * 5.0
    speed = rng.uniform(12.0, 20.0, n)
    service = rng.uniform(60.0, 240.0, n)
    pattern = rng.choice(3, size=n, p=[0.2, 0.45, 0.35])  # 1, 2 or 3 volumes
    leg = np.maximum(dist / speed, 0.0)
    total = np.where(pattern == 0, leg + service, 2.0 * leg + service)
    total = np.clip(total + 120.0, 480.0, 1800.0)  # 8-30 min including pre-flight margin
    scale = np.where(pattern == 0, total / (leg + service), total / (2.0 * leg + service))
    leg_s = np.round(leg * scale).astype(np.int64)
    service_s = np.round(service * scale).astype(np.int64)
    start = np.round(_day_seconds(rng, n, 6.0, 22.0 - total / 3600.0)).astype(np.int64)
    ground = np.maximum(ground_elevation_m(o_lon, o_lat), ground_elevation_m(c_lon, c_lat))
    ground = _dm(ground)
    back = _bearing(c_lon, c_lat, o_lon, o_lat) % (2.0 * math.pi)
    sector_out = np.floor((bearing / (2.0 * math.pi)) * SECTORS + 0.5).astype(np.int64) % SECTORS
    sector_back = np.floor((back / (2.0 * math.pi)) * SECTORS + 0.5).astype(np.int64) % SECTORS
    hover_r = np.round(rng.uniform(30.0, 150.0, n))

    # Surveys: a star-shaped area of 0.2-4 km^2 away from the busiest centre.
    area_m2 = np.exp(rng.uniform(math.log(0.2e6), math.log(4.0e6), n))
    s_lon = lon_c + rng.uniform(-0.85, 0.85, n) * half_w
    s_lat = lat_c + rng.uniform(-0.85, 0.85, n) * half_h
    s_vertices = rng.integers(6, _MAX_SURVEY_VERTICES + 1, n)
    s_start = np.round(_day_seconds(rng, n, 7.0, 20.0)).astype(np.int64)
    s_duration = rng.integers(30 * 60, 120 * 60 + 1, n)
    s_lower = np.round(rng.uniform(50.0, 80.0, n))
    s_upper = np.round(np.minimum(s_lower + rng.uniform(20.0, 50.0, n), 120.0))
    s_ground = _dm(ground_elevation_m(s_lon, s_lat))

    rows: dict[str, list[Any]] = {k: [] for k in _Columns.__dataclass_fields__}

    def layer(sector: IntArray, g: FloatArray) -> tuple[FloatArray, FloatArray]:
        lowest = np.ceil((g + MIN_AGL_M) / LAYER_STEP_M).astype(np.int64)
        level = lowest + (sector - lowest) % SECTORS
        lo = level * LAYER_STEP_M
        return _dm(lo), _dm(lo + LAYER_THICKNESS_M)

    out_lo, out_hi = layer(sector_out, ground)
    back_lo, back_hi = layer(sector_back, ground)
    # Uncoordinated operators pick any band in the 30-150 m AGL space.
    wild_lo = _dm(ground + rng.uniform(30.0, 110.0, n))
    wild_hi = np.round(np.minimum(wild_lo + rng.uniform(15.0, 40.0, n), ground + 150.0), 1)
    out_lo = np.where(coordinated, out_lo, wild_lo)
    out_hi = np.where(coordinated, out_hi, wild_hi)
    back_lo = np.where(coordinated, back_lo, wild_lo)
    back_hi = np.where(coordinated, back_hi, wild_hi)

    def add(
        mask: BoolArray,
        kind: int,
        role: int,
        ends: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
        size: FloatArray,
        band: tuple[FloatArray, FloatArray],
        window: tuple[IntArray, IntArray],
    ) -> None:
        idx = np.flatnonzero(mask)
        rows["op"].append(idx)
        rows["kind"].append(np.full(idx.size, kind, dtype=np.int64))
        rows["role"].append(np.full(idx.size, role, dtype=np.int64))
        for name, col in zip(("lon0", "lat0", "lon1", "lat1"), ends, strict=True):
            rows[name].append(col[idx])
        rows["size_m"].append(size[idx])
        rows["lo"].append(band[0][idx])
        rows["hi"].append(band[1][idx])
        rows["t0"].append(window[0][idx])
        rows["t1"].append(window[1][idx])

    deliver = ~is_survey
    out_end = start + np.where(pattern == 0, leg_s + service_s, leg_s) + BUFFER_S
    hover_t0 = start + leg_s - BUFFER_S
    hover_t1 = start + leg_s + service_s + BUFFER_S
    back_t0 = start + leg_s + service_s - BUFFER_S
    back_t1 = start + 2 * leg_s + service_s + BUFFER_S
    corridor = (o_lon, o_lat, c_lon, c_lat)
    add(deliver & (pattern == 0), _CORRIDOR, 3, corridor, width, (out_lo, out_hi), (start, out_end))
    add(deliver & (pattern > 0), _CORRIDOR, 0, corridor, width, (out_lo, out_hi), (start, out_end))
    # The hover circle spans from the lowest layer up to the corridor it descends from.
    hover_lo = _dm(ground + MIN_AGL_M)
    hover_hi = np.maximum(out_hi, hover_lo + LAYER_THICKNESS_M)
    add(
        deliver & (pattern == 2),
        _HOVER,
        1,
        (c_lon, c_lat, c_lon, c_lat),
        hover_r,
        (hover_lo, hover_hi),
        (hover_t0, hover_t1),
    )
    back_ends = (c_lon, c_lat, o_lon, o_lat)
    add(
        deliver & (pattern > 0),
        _CORRIDOR,
        2,
        back_ends,
        width,
        (back_lo, back_hi),
        (back_t0, back_t1),
    )
    # A star-shaped ring: bearings strictly increase around the centre, so it is simple.
    step = 2.0 * math.pi / s_vertices
    s_radius = np.sqrt(2.0 * area_m2 / (s_vertices * np.sin(step)))
    jitter = rng.uniform(-0.3, 0.3, (n, _MAX_SURVEY_VERTICES))
    radii = rng.uniform(0.8, 1.15, (n, _MAX_SURVEY_VERTICES))
    used = np.arange(_MAX_SURVEY_VERTICES)[None, :] < s_vertices[:, None]
    reach = s_radius * np.where(used, radii, 0.0).max(axis=1)
    phase = rng.uniform(0.0, 1.0, n) * step
    survey = np.concatenate(
        [
            np.stack([s_lon, s_lat, s_radius, phase], axis=1),
            jitter,
            radii,
            s_vertices[:, None].astype(np.float64),
        ],
        axis=1,
    )
    s_ends = (s_lon, s_lat, s_lon, s_lat)
    s_band = (_dm(s_ground + s_lower), _dm(s_ground + s_upper))
    add(is_survey, _AREA, 4, s_ends, reach, s_band, (s_start, s_start + s_duration))

    cols = {k: np.concatenate(v) for k, v in rows.items()}
    order = np.lexsort((cols["t0"], cols["op"]))
    volumes = _Columns(**{k: v[order] for k, v in cols.items()})
    s_n = np.where(is_survey, s_vertices, 0).astype(np.int64)
    return _Plan(party, priority, coordinated, survey, s_n, volumes)


def _survey_rings(rows: FloatArray) -> FloatArray:
    """(k, 20, 2) vertices of survey areas from their drawn rows, by increasing bearing.

    Only the first ``n`` vertices of a row belong to its ring; with its ``n`` equal
    steps and jitter below half a step, bearings strictly increase within one turn, so
    the star-shaped ring cannot cross itself.
    """
    lon, lat, radius, phase = rows[:, 0:1], rows[:, 1:2], rows[:, 2:3], rows[:, 3:4]
    jitter = rows[:, 4 : 4 + _MAX_SURVEY_VERTICES]
    radii = rows[:, 4 + _MAX_SURVEY_VERTICES :] * radius
    n = rows[:, -1:]  # stored after the radii
    step = 2.0 * math.pi / n
    bearings = (np.arange(_MAX_SURVEY_VERTICES)[None, :] + jitter) * step + phase
    shape = bearings.shape
    v_lon, v_lat = _destination(
        np.broadcast_to(lon, shape).ravel(),
        np.broadcast_to(lat, shape).ravel(),
        bearings.ravel(),
        radii[:, :_MAX_SURVEY_VERTICES].ravel(),
    )
    rings: FloatArray = np.stack([v_lon.reshape(shape), v_lat.reshape(shape)], axis=2)
    return rings


CELL_M = 2000.0
ALT_BIN_M = LAYER_STEP_M  # a cruising layer falls in exactly one bin
_DAY_S = 86_400
_T_BITS = 18  # seconds since the day's midnight fit in 18 bits with room to spare


def _conflicting_ops(plan: _Plan, centre: tuple[float, float]) -> IntArray:
    """Operation pairs (k, 2) whose volumes may overlap, by a conservative planar test.

    This is the generator's own stand-in for a USS's strategic check: footprints are
    widened to capsules (segment + radius, which contain the corridors, circles and star
    areas) on a local equirectangular plane, with 3 % and 10 m slack for the plane's
    distortion over the region. Candidate pairs come from a (cell, altitude bin) grid
    swept in time order, so the cost grows with the traffic, not with its square.
    """
    v = plan.volumes
    k = _M_PER_DEG
    coslat = math.cos(math.radians(centre[1]))
    x0 = (v.lon0 - centre[0]) * coslat * k
    x1 = (v.lon1 - centre[0]) * coslat * k
    y0 = (v.lat0 - centre[1]) * k
    y1 = (v.lat1 - centre[1]) * k
    r = np.where(v.kind == _CORRIDOR, v.size_m / 2.0, v.size_m) * 1.03 + 10.0
    t0, t1 = v.t0, v.t1
    m = v.op.size

    bx0, bx1 = np.minimum(x0, x1) - r, np.maximum(x0, x1) + r
    by0, by1 = np.minimum(y0, y1) - r, np.maximum(y0, y1) + r
    ix0 = np.floor(bx0 / CELL_M).astype(np.int64)
    ix1 = np.floor(bx1 / CELL_M).astype(np.int64)
    iy0 = np.floor(by0 / CELL_M).astype(np.int64)
    iy1 = np.floor(by1 / CELL_M).astype(np.int64)
    iz0 = np.floor(v.lo / ALT_BIN_M).astype(np.int64)
    iz1 = np.floor(v.hi / ALT_BIN_M).astype(np.int64)
    ix0, ix1 = ix0 - ix0.min(), ix1 - ix0.min()
    iy0, iy1 = iy0 - iy0.min(), iy1 - iy0.min()
    iz0, iz1 = iz0 - iz0.min(), iz1 - iz0.min()
    nx, ny, nz = ix1 - ix0 + 1, iy1 - iy0 + 1, iz1 - iz0 + 1
    span_y = int(iy1.max()) + 1
    span_z = int(iz1.max()) + 1
    count = nx * ny * nz
    vol = np.repeat(np.arange(m), count)
    kk = np.arange(vol.size) - np.repeat(np.cumsum(count) - count, count)
    kx = kk % nx[vol]
    rest = kk // nx[vol]
    cx = ix0[vol] + kx
    cy = iy0[vol] + rest % ny[vol]
    cz = iz0[vol] + rest // ny[vol]
    del kk, kx, rest
    key = (cx * span_y + cy) * span_z + cz
    t_base = int(min(t0.min(), 0))
    comp = (key << _T_BITS) + (t0[vol] - t_base)
    order = np.argsort(comp)
    comp, vol, key = comp[order], vol[order], key[order]
    cx, cy, cz = cx[order], cy[order], cz[order]
    upper = np.searchsorted(comp, (key << _T_BITS) + (t1[vol] - t_base), side="right")
    del comp, key, order
    n_partners = upper - np.arange(vol.size) - 1
    first = np.repeat(np.arange(vol.size), n_partners)
    second = first + 1 + np.arange(first.size)
    second -= np.repeat(np.cumsum(n_partners) - n_partners, n_partners)
    a, b = vol[first], vol[second]
    # A pair is judged only in the cell holding the low corner of the overlap of their
    # boxes, so pairs sharing many cells are not judged many times.
    keep = (np.maximum(ix0[a], ix0[b]) == cx[first]) & (np.maximum(iy0[a], iy0[b]) == cy[first])
    keep &= np.maximum(iz0[a], iz0[b]) == cz[first]
    del first, second
    a, b = a[keep], b[keep]
    keep = (v.op[a] != v.op[b]) & (v.lo[a] <= v.hi[b]) & (v.lo[b] <= v.hi[a])
    keep &= (np.maximum(bx0[a], bx0[b]) <= np.minimum(bx1[a], bx1[b])) & (
        np.maximum(by0[a], by0[b]) <= np.minimum(by1[a], by1[b])
    )
    a, b = a[keep], b[keep]
    dist = _segment_distance(x0[a], y0[a], x1[a], y1[a], x0[b], y0[b], x1[b], y1[b])
    hit = dist <= r[a] + r[b]
    oa, ob = v.op[a[hit]], v.op[b[hit]]
    pairs = np.unique(np.minimum(oa, ob) * m + np.maximum(oa, ob))
    return np.stack([pairs // m, pairs % m], axis=1)


def _point_segment(
    px: FloatArray, py: FloatArray, ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray
) -> FloatArray:
    dx, dy = bx - ax, by - ay
    length2 = np.maximum(dx * dx + dy * dy, 1e-9)
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
    result: FloatArray = np.hypot(ax + t * dx - px, ay + t * dy - py)
    return result


def _segment_distance(
    ax: FloatArray,
    ay: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    cx: FloatArray,
    cy: FloatArray,
    dx: FloatArray,
    dy: FloatArray,
) -> FloatArray:
    """Distance between segments AB and CD (zero where they cross)."""

    def side(
        px: FloatArray,
        py: FloatArray,
        qx: FloatArray,
        qy: FloatArray,
        sx: FloatArray,
        sy: FloatArray,
    ) -> FloatArray:
        result: FloatArray = (qx - px) * (sy - py) - (qy - py) * (sx - px)
        return result

    crossing = (side(ax, ay, bx, by, cx, cy) * side(ax, ay, bx, by, dx, dy) < 0) & (
        side(cx, cy, dx, dy, ax, ay) * side(cx, cy, dx, dy, bx, by) < 0
    )
    d = np.minimum(
        np.minimum(_point_segment(ax, ay, cx, cy, dx, dy), _point_segment(bx, by, cx, cy, dx, dy)),
        np.minimum(_point_segment(cx, cy, ax, ay, bx, by), _point_segment(dx, dy, ax, ay, bx, by)),
    )
    result: FloatArray = np.where(crossing, 0.0, d)
    return result


def _file(plan: _Plan, centre: tuple[float, float]) -> IntArray:
    """The operations a first-come-first-served planner accepts, in filing order.

    Operations are filed in index order. A coordinated one is accepted when it conflicts
    with no operation accepted before it (a provider whose request is refused re-plans,
    which here is simply a later candidate); an uncoordinated one is accepted whatever
    it overlaps. Decisions are made in vectorised rounds: an operation is decided once
    every earlier neighbour is. Dropping accepted operations afterwards keeps the rest
    valid: no acceptance depends on another operation being there.
    """
    pairs = _conflicting_ops(plan, centre)
    n = plan.party.size
    state = np.where(plan.coordinated, 0, 1).astype(np.int8)  # 0 open, 1 accepted, 2 refused
    first, later = pairs[:, 0], pairs[:, 1]
    checks = plan.coordinated[later]
    first, later = first[checks], later[checks]
    while True:
        open_ = state == 0
        if not open_.any():
            break
        live = open_[later]
        first, later = first[live], later[live]
        blocked = np.zeros(n, dtype=np.bool_)
        blocked[later[state[first] == 1]] = True
        waiting = np.zeros(n, dtype=np.bool_)
        waiting[later[state[first] == 0]] = True
        state[open_ & blocked] = 2
        state[open_ & ~blocked & ~waiting] = 1
    accepted: IntArray = np.flatnonzero(state == 1)
    return accepted


def _corridor_rings(v: _Columns) -> FloatArray:
    """(m, 4, 2) corners of each corridor rectangle, counter-clockwise.

    The long sides leave each end at right angles to the great circle through both
    ends, so the ring is a thin rectangle along that arc and never crosses itself.
    """
    out = _bearing(v.lon0, v.lat0, v.lon1, v.lat1)
    arrive = _bearing(v.lon1, v.lat1, v.lon0, v.lat0) + math.pi
    half = v.size_m / 2.0
    left = -math.pi / 2.0
    corners = (
        _destination(v.lon0, v.lat0, out + left, half),
        _destination(v.lon0, v.lat0, out - left, half),
        _destination(v.lon1, v.lat1, arrive - left, half),
        _destination(v.lon1, v.lat1, arrive + left, half),
    )
    rings: FloatArray = np.stack([np.stack(c, axis=1) for c in corners], axis=1)
    return rings


_CHUNK = 2000
"""Operations whose features are built together: vectorised, yet few in memory."""

METRO_OPERATIONS = 100_000
"""Operations a region takes in a day. A larger plan is a national day: more regions
of the same size, side by side, rather than one region ever denser (a million flights
over one city would be neither realistic nor what a checker meets), each with this
many operations at most. One region's plan is the same whatever the total."""


def regions(region: Region, count: int) -> list[Region]:
    """``count`` regions of ``region``'s size in degrees: ``region`` first, then its
    neighbours ring by ring around it (east first, counter-clockwise), edge to edge."""
    width, height = region.east - region.west, region.north - region.south
    found: list[Region] = []
    ring = 0
    while len(found) < count:
        cells = [
            (dx, dy)
            for dx in range(-ring, ring + 1)
            for dy in range(-ring, ring + 1)
            if max(abs(dx), abs(dy)) == ring
        ]
        cells.sort(key=lambda c: math.atan2(c[1], c[0]) % (2.0 * math.pi))
        for dx, dy in cells[: count - len(found)]:
            found.append(
                Region(
                    region.west + dx * width,
                    region.south + dy * height,
                    region.east + dx * width,
                    region.north + dy * height,
                )
            )
        ring += 1
    return found


@dataclass(frozen=True)
class _Tile:
    """One region's share of the plan: its operations are ids ``first + 1`` onwards."""

    first: int
    operations: int
    seed: int
    index: int
    region: Region
    base: np.datetime64


def _tiles(
    operations: int, seed: int, region: Region, start: datetime, per_region: int
) -> list[_Tile]:
    if operations < 0:
        raise ValueError(f"operations must be >= 0, got {operations}")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware (UTC)")
    if per_region < 1:
        raise ValueError(f"per_region must be >= 1, got {per_region}")
    base = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "s")
    count = math.ceil(operations / per_region)
    share, extra = divmod(operations, count) if count else (0, 0)
    tiles, first = [], 0
    for k, r in enumerate(regions(region, count)):
        n = share + (k < extra)
        tiles.append(_Tile(first, n, seed, k, r, base))
        first += n
    return tiles


def _tile_plan(tile: _Tile) -> _Plan:
    """The operations of one region, filed first come first served, by departure."""
    operations, region = tile.operations, tile.region
    # The first region draws from the seed itself: a plan of one region is unchanged.
    rng = np.random.default_rng(tile.seed if tile.index == 0 else [tile.seed, tile.index])
    surveys = round(operations * SURVEY_SHARE)
    pool = math.ceil(operations * POOL_FACTOR) + 20
    while True:
        candidates = _draw(pool, rng, region)
        # Surveys are planned the day before, so they are filed before the deliveries.
        is_survey = candidates.survey_n > 0
        filed = candidates.subset(
            np.concatenate([np.flatnonzero(is_survey), np.flatnonzero(~is_survey)])
        )
        accepted = _file(filed, region.centre)
        n_filed_surveys = int(is_survey.sum())
        kept_surveys = accepted[accepted < n_filed_surveys][:surveys]
        kept_deliveries = accepted[accepted >= n_filed_surveys][: operations - surveys]
        if kept_surveys.size + kept_deliveries.size == operations:
            break
        pool = pool * 3 // 2
    plan = filed.subset(np.concatenate([kept_surveys, kept_deliveries]))
    del candidates, filed
    # Dropping accepted operations never creates a conflict; ids follow departure time.
    return plan.subset(np.argsort(plan.first_start(), kind="stable"))


def _tile_features(tile: _Tile) -> Iterator[list[dict[str, Any]]]:
    """One region's features, a list per operation, in id order."""
    plan = _tile_plan(tile)
    bounds = np.searchsorted(plan.volumes.op, np.arange(tile.operations + 1))
    for c0 in range(0, tile.operations, _CHUNK):
        c1 = min(c0 + _CHUNK, tile.operations)
        yield from _chunk_features(plan, c0, c1, bounds, tile.base, tile.first)


def _tile_bytes(tile: _Tile) -> bytes:
    """One region's features as JSON, joined as ``write_plan`` writes them (in a worker)."""
    return b",\n".join(orjson.dumps(f) for feats in _tile_features(tile) for f in feats)


def _features(
    operations: int, seed: int, region: Region, start: datetime, per_region: int
) -> Iterator[list[dict[str, Any]]]:
    """The plan as a lazy stream of each operation's features, in id order."""
    for tile in _tiles(operations, seed, region, start, per_region):
        yield from _tile_features(tile)


def _chunk_features(
    plan: _Plan, c0: int, c1: int, bounds: IntArray, base: np.datetime64, first_id: int
) -> Iterator[list[dict[str, Any]]]:
    j0, j1 = int(bounds[c0]), int(bounds[c1])
    v = _Columns(**{k: getattr(plan.volumes, k)[j0:j1] for k in _Columns.__dataclass_fields__})

    def stamps(seconds: IntArray) -> list[str]:
        text = np.datetime_as_string(base + seconds.astype("timedelta64[s]"), unit="s")
        return [f"{t}Z" for t in text.tolist()]

    t_start, t_end = stamps(v.t0), stamps(v.t1)
    lo, hi, size = v.lo.tolist(), v.hi.tolist(), v.size_m.tolist()
    kind, role = v.kind.tolist(), v.role.tolist()
    rings = np.round(_corridor_rings(v), 7).tolist()
    points = np.round(np.stack([v.lon0, v.lat0], axis=1), 7).tolist()
    surveys = np.flatnonzero(np.isin(np.arange(c0, c1), v.op[v.kind == _AREA])) + c0
    survey_rings = dict(
        zip(
            surveys.tolist(),
            np.round(_survey_rings(plan.survey[surveys]), 7).tolist(),
            strict=True,
        )
    )
    party = [PARTIES[p].name for p in plan.party[c0:c1].tolist()]
    priority = plan.priority[c0:c1].tolist()
    bounds_list = bounds[c0 : c1 + 1].tolist()
    n_vertices = plan.survey_n[c0:c1].tolist()
    for i in range(c0, c1):
        op_id = f"op-{first_id + i + 1:06d}"
        feats: list[dict[str, Any]] = []
        for j in range(bounds_list[i - c0] - j0, bounds_list[i - c0 + 1] - j0):
            props: dict[str, Any] = {
                "operation": op_id,
                "party": party[i - c0],
                "priority": priority[i - c0],
                "state": "Accepted",
                "role": _ROLES[role[j]],
                "altitude_lower_m": lo[j],
                "altitude_upper_m": hi[j],
                "time_start": t_start[j],
                "time_end": t_end[j],
            }
            geometry: dict[str, Any]
            if kind[j] == _HOVER:
                props["radius_m"] = size[j]
                geometry = {"type": "Point", "coordinates": points[j]}
            else:
                # Survey vertices come by increasing bearing (clockwise): reversed.
                ring = (
                    rings[j]
                    if kind[j] == _CORRIDOR
                    else survey_rings[i][: n_vertices[i - c0]][::-1]
                )
                geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
            feats.append({"type": "Feature", "geometry": geometry, "properties": props})
        yield feats


def generate_plan(
    operations: int,
    seed: int,
    *,
    region: Region = DEFAULT_REGION,
    start: datetime = DEFAULT_START,
    per_region: int = METRO_OPERATIONS,
) -> dict[str, Any]:
    """A synthetic plan as a GeoJSON FeatureCollection (one Feature per volume).

    ``start`` is the midnight (UTC) of the day the traffic fills. Past ``per_region``
    operations the plan spreads over neighbouring regions (``regions``). For plans too
    large to hold as dicts, use ``write_plan``, which yields the same bytes' worth of data.
    """
    stream = _features(operations, seed, region, start, per_region)
    return {"type": "FeatureCollection", "features": [f for feats in stream for f in feats]}


def write_plan(
    target: str | Path | IO[bytes],
    operations: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    *,
    region: Region = DEFAULT_REGION,
    start: datetime = DEFAULT_START,
    per_region: int = METRO_OPERATIONS,
    workers: int | None = None,
) -> int:
    """Write the plan of ``generate_plan`` as JSON, one operation at a time.

    Only the compact per-volume columns are held, never every feature at once, so
    100,000 operations fit in little memory. A plan of several regions is drawn and
    serialised region by region in ``workers`` forked processes (default: one per
    core), a few regions ahead of the writing, so memory stays flat as plans grow.
    ``progress`` receives the number of operations written since its previous call.
    Returns the number of features.
    """
    if isinstance(target, str | Path):
        with open(target, "wb") as stream:
            return write_plan(
                stream,
                operations,
                seed,
                progress,
                region=region,
                start=start,
                per_region=per_region,
                workers=workers,
            )
    tiles = _tiles(operations, seed, region, start, per_region)
    workers = max(1, workers or os.cpu_count() or 1)
    target.write(b'{"type":"FeatureCollection","features":[\n')
    if len(tiles) > 1 and workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        written = _write_tiles_in_workers(target, tiles, workers, progress)
    else:
        written = _write_tiles_here(target, tiles, progress)
    target.write(b"\n]}\n")
    return written


def _write_tiles_here(
    target: IO[bytes], tiles: list[_Tile], progress: Callable[[int], None] | None
) -> int:
    written = 0
    pending = 0
    for tile in tiles:
        for feats in _tile_features(tile):
            for feature in feats:
                if written:
                    target.write(b",\n")
                target.write(orjson.dumps(feature))
                written += 1
            pending += 1
            if progress is not None and pending == 1000:
                progress(pending)
                pending = 0
    if progress is not None and pending:
        progress(pending)
    return written


def _write_tiles_in_workers(
    target: IO[bytes], tiles: list[_Tile], workers: int, progress: Callable[[int], None] | None
) -> int:
    written = 0
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        ahead: deque[Future[bytes]] = deque()
        queue = iter(tiles)
        for tile in itertools.islice(queue, workers + 1):
            ahead.append(pool.submit(_tile_bytes, tile))
        for tile in tiles:
            data = ahead.popleft().result()
            nxt = next(queue, None)
            if nxt is not None:
                ahead.append(pool.submit(_tile_bytes, nxt))
            if data:
                if written:
                    target.write(b",\n")
                target.write(data)
                # orjson writes no newline, so each one separates two features.
                written += data.count(b"\n") + 1
            if progress is not None and tile.operations:
                progress(tile.operations)
    return written
