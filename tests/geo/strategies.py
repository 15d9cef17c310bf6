"""Hypothesis strategies for footprints anywhere on Earth, poles and antimeridian included."""

from __future__ import annotations

import math

import s2geometry as s2
from hypothesis import strategies as st

from deconflict.geo.earth import EARTH_RADIUS_M, destination
from deconflict.geo.footprint import Circle, Polygon

# Places where spherical code tends to break, mixed with anywhere at all.
SPECIAL_LATS = [-89.9999, -89.5, -60.0, 0.0, 45.0, 89.5, 89.9999]
SPECIAL_LONS = [-180.0, -179.99999, -90.0, 0.0, 90.0, 179.99999, 180.0]

lats = st.one_of(st.sampled_from(SPECIAL_LATS), st.floats(-89.9999, 89.9999))
lons = st.one_of(st.sampled_from(SPECIAL_LONS), st.floats(-180.0, 180.0))
bearings = st.floats(0.0, 2.0 * math.pi, exclude_max=True)
sizes_m = st.one_of(st.floats(0.5, 50.0), st.floats(50.0, 5_000.0), st.floats(5_000.0, 60_000.0))


def wrap_lon(lon: float) -> float:
    return (lon + 540.0) % 360.0 - 180.0


@st.composite
def centres(draw: st.DrawFn) -> tuple[float, float]:
    return (draw(lons), draw(lats))


@st.composite
def star_polygon(draw: st.DrawFn, lon: float, lat: float, size_m: float) -> Polygon:
    """A star-shaped polygon around (lon, lat): simple by construction."""
    n = draw(st.integers(3, 12))
    start = draw(bearings)
    ring = []
    for i in range(n):
        bearing = start + 2.0 * math.pi * i / n
        radius = size_m * draw(st.floats(0.3, 1.0))
        ring.append(destination(lon, lat, bearing, radius))
    return Polygon(tuple(ring))


@st.composite
def footprints(draw: st.DrawFn, sizes: st.SearchStrategy[float] = sizes_m) -> Polygon | Circle:
    """A circle or a star-shaped polygon of a size drawn from ``sizes``, anywhere."""
    lon, lat = draw(centres())
    size = draw(sizes)
    if draw(st.booleans()):
        return Circle(lon, lat, size)
    return draw(star_polygon(lon, lat, size))


Vec = tuple[float, float, float]


def _vec(lon: float, lat: float) -> Vec:
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def _lonlat(v: Vec) -> tuple[float, float]:
    n = math.sqrt(sum(x * x for x in v))
    x, y, z = (c / n for c in v)
    return (math.degrees(math.atan2(y, x)), math.degrees(math.asin(max(-1.0, min(1.0, z)))))


def _comb(a: float, u: Vec, b: float, v: Vec) -> Vec:
    return (a * u[0] + b * v[0], a * u[1] + b * v[1], a * u[2] + b * v[2])


def _cross(u: Vec, v: Vec) -> Vec:
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _unit(v: Vec) -> Vec:
    n = math.sqrt(sum(x * x for x in v))
    return (v[0] / n, v[1] / n, v[2] / n)


def tangent(lon: float, lat: float, bearing: float) -> Vec:
    """The unit vector leaving (lon, lat) at ``bearing`` (clockwise from north)."""
    lo, la = math.radians(lon), math.radians(lat)
    east = (-math.sin(lo), math.cos(lo), 0.0)
    north = (-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la))
    return _unit(_comb(math.sin(bearing), east, math.cos(bearing), north))


@st.composite
def lines(draw: st.DrawFn) -> tuple[Vec, Vec]:
    """A point anywhere and a direction: a great circle to place shapes against."""
    lon, lat = draw(centres())
    return (_vec(lon, lat), tangent(lon, lat, draw(bearings)))


@st.composite
def cell_edge_points(draw: st.DrawFn, level: int = 13) -> tuple[Vec, Vec]:
    """A point on the edge of a level-``level`` S2 cell and the direction of that edge.

    Cell edges are great-circle arcs, so shapes placed on either side of one, a few
    millimetres apart, land in different cells: the hard case for a covering.
    """
    lon, lat = draw(centres())
    cell = s2.S2Cell(s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lon)).parent(level))
    k = draw(st.integers(0, 3))
    va = _unit(_raw(cell.GetVertex(k)))
    vb = _unit(_raw(cell.GetVertex((k + 1) % 4)))
    f = draw(st.floats(0.05, 0.95))
    p = _unit(_comb(1.0 - f, va, f, vb))  # on the chord, projected: on the edge's great circle
    normal = _unit(_cross(va, vb))
    return (p, _unit(_cross(normal, p)))


def _raw(point: s2.S2Point) -> Vec:
    return (point.x(), point.y(), point.z())


def facing_triangles(
    centre: Vec,
    direction: Vec,
    gap_m: float,
    half_length_m: float,
    depth_m: float,
    straddle: bool = False,
) -> tuple[Polygon, Polygon]:
    """Two triangles on either side of the great circle through ``centre`` along ``direction``.

    One has its base on that line; the other's base lies on the great circle tilted
    about ``direction`` by ``gap_m`` (a negative gap makes them overlap by that much).
    Near the centre the two bases are ``gap_m`` apart to within a fraction
    (half_length/R)^2 of the gap: nanometres for the sizes used here. With ``straddle``
    the given line runs midway between the two bases instead of along the first.
    """
    normal = _unit(_cross(centre, direction))
    if straddle:
        half = gap_m / 2.0 / EARTH_RADIUS_M
        centre = _unit(_comb(math.cos(half), centre, math.sin(half), normal))
        normal = _unit(_cross(centre, direction))
    g = gap_m / EARTH_RADIUS_M
    length = half_length_m / EARTH_RADIUS_M
    depth = depth_m / EARTH_RADIUS_M
    shifted = _comb(math.cos(g), centre, -math.sin(g), normal)

    def on(c: Vec, t: Vec, a: float) -> tuple[float, float]:
        return _lonlat(_comb(math.cos(a), c, math.sin(a), t))

    a = Polygon(
        (on(centre, direction, length), on(centre, direction, -length), on(centre, normal, depth))
    )
    b = Polygon(
        (
            on(shifted, direction, length),
            on(shifted, direction, -length),
            on(centre, normal, -depth),
        )
    )
    return a, b


def line_at(lon: float, lat: float, bearing: float) -> tuple[Vec, Vec]:
    return (_vec(lon, lat), tangent(lon, lat, bearing))


def lonlat(v: Vec) -> tuple[float, float]:
    return _lonlat(v)
