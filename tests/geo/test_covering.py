"""The covering is conservative: it never misses an overlap the exact test finds, with
level-13 cells or, past the cell budget, cells of mixed levels; and its size is bounded."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deconflict.geo import covering as cov
from deconflict.geo.covering import CELL_BUDGET, CELL_LEVEL, covering, to_signed, to_unsigned
from deconflict.geo.earth import destination
from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.measure import area_m2
from deconflict.geo.overlap import footprints_conflict

from .strategies import (
    Vec,
    bearings,
    cell_edge_points,
    centres,
    facing_triangles,
    footprints,
    lonlat,
    sizes_m,
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def shares_cell(a: Polygon | Circle, b: Polygon | Circle) -> bool:
    """In the hierarchy sense: one cell of a contains, or is, one cell of b."""
    return cov.shares_cell(covering(a), covering(b))


@PROPERTY
@given(cell_edge_points(), st.floats(-0.02, 0.0099), st.floats(0.5, 300.0))
def test_shapes_straddling_a_cell_edge_within_a_centimetre_share_a_cell(
    p: tuple[Vec, Vec], gap: float, size: float
) -> None:
    a, b = facing_triangles(p[0], p[1], gap, size, size, straddle=True)
    assert footprints_conflict(a, b)
    assert shares_cell(a, b)


@PROPERTY
@given(cell_edge_points(), st.floats(0.0, 0.0099), st.floats(0.5, 300.0), bearings)
def test_circles_straddling_a_cell_edge_within_a_centimetre_share_a_cell(
    p: tuple[Vec, Vec], gap: float, r: float, side: float
) -> None:
    lon, lat = lonlat(p[0])
    c1 = destination(lon, lat, side, r)
    c2 = destination(lon, lat, side + 3.141592653589793, r + gap)
    a, b = Circle(c1[0], c1[1], r), Circle(c2[0], c2[1], r)
    if footprints_conflict(a, b):
        assert shares_cell(a, b)


@PROPERTY
@given(footprints(), bearings, sizes_m, st.floats(0.0, 1.2))
def test_any_conflicting_pair_shares_a_cell(
    a: Polygon | Circle, bearing: float, size: float, spread: float
) -> None:
    # Place b near a, at a distance drawn relative to both sizes, so pairs straddle
    # the conflict boundary often.
    lon, lat = (a.lon, a.lat) if isinstance(a, Circle) else a.vertices[0]
    centre = destination(lon, lat, bearing, spread * size)
    b = Circle(centre[0], centre[1], size)
    if footprints_conflict(a, b):
        assert shares_cell(a, b)


@settings(max_examples=50, deadline=None)
@given(footprints())
def test_covering_within_the_default_area_limit_is_at_the_reference_level_and_nonempty(
    f: Polygon | Circle,
) -> None:
    import s2geometry as s2

    assume(area_m2(f) <= 2500e6)
    cells = covering(f)
    assert cells
    assert all(s2.S2CellId(to_unsigned(c)).level() == CELL_LEVEL for c in cells)


@given(st.integers(0, (1 << 64) - 1))
def test_signed_storage_round_trips_every_cell_id(cell_id: int) -> None:
    stored = to_signed(cell_id)
    assert -(1 << 63) <= stored < (1 << 63)
    assert to_unsigned(stored) == cell_id


# Past the budget: mixed levels.

huge_radii_m = st.floats(100_000.0, 3_000_000.0)
HUGE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=30, deadline=None)
@given(centres(), huge_radii_m)
def test_a_huge_footprint_is_covered_within_the_budget(c: tuple[float, float], r: float) -> None:
    cells = covering(Circle(c[0], c[1], r))
    assert 0 < len(cells) <= CELL_BUDGET
    assert min(cov.cell_level(x) for x in cells) < CELL_LEVEL


def test_a_2500_km2_circle_keeps_level_13_anywhere() -> None:
    radius = 28_209.0  # 2,500 km²
    for lat in (-89.0, -60.0, -35.26, 0.0, 35.26, 45.0, 89.0):
        for lon in (-180.0, -45.0, 0.0, 45.0, 135.0):
            cells = covering(Circle(lon, lat, radius))
            assert {cov.cell_level(x) for x in cells} == {CELL_LEVEL}


@HUGE
@given(cell_edge_points(level=9), st.floats(0.0, 0.0099), huge_radii_m, st.floats(0.5, 300.0))
def test_a_huge_and_a_tiny_shape_within_a_centimetre_share_a_cell(
    p: tuple[Vec, Vec], gap: float, big: float, small: float
) -> None:
    """A circle of tens to thousands of km (mixed levels) touches, across a coarse cell
    edge, a tiny one (level 13): they share a cell in the hierarchy sense."""
    lon, lat = lonlat(p[0])
    across = _bearing_along(p) + 3.141592653589793 / 2.0
    c1 = destination(lon, lat, across, big)
    c2 = destination(lon, lat, across + 3.141592653589793, small + gap)
    a, b = Circle(c1[0], c1[1], big), Circle(c2[0], c2[1], small)
    assert footprints_conflict(a, b)
    assert min(cov.cell_level(x) for x in covering(a)) < CELL_LEVEL
    assert shares_cell(a, b)


def _bearing_along(p: tuple[Vec, Vec]) -> float:
    """The bearing of direction p[1] at point p[0]."""
    import math

    (x, y, z), (dx, dy, dz) = p
    lon, lat = math.atan2(y, x), math.asin(max(-1.0, min(1.0, z)))
    east = (-math.sin(lon), math.cos(lon), 0.0)
    north = (-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat))
    return math.atan2(
        dx * east[0] + dy * east[1] + dz * east[2], dx * north[0] + dy * north[1] + dz * north[2]
    )


@HUGE
@given(footprints(), huge_radii_m, bearings, st.floats(0.9, 1.1))
def test_any_conflicting_huge_and_small_pair_shares_a_cell(
    small: Polygon | Circle, big: float, bearing: float, spread: float
) -> None:
    lon, lat = (small.lon, small.lat) if isinstance(small, Circle) else small.vertices[0]
    centre = destination(lon, lat, bearing, spread * big)
    huge = Circle(centre[0], centre[1], big)
    if footprints_conflict(small, huge):
        assert shares_cell(small, huge)


@given(st.lists(st.integers(0, (1 << 64) - 1), min_size=1, max_size=5), st.integers(0, 13))
def test_a_cell_is_inside_its_ancestors_ranges(ids: list[int], level: int) -> None:
    import s2geometry as s2

    for raw in ids:
        cell = s2.S2CellId(raw | 1)  # a valid leaf
        if not cell.is_valid():
            continue
        c13 = to_signed(cell.parent(CELL_LEVEL).id())
        anc = cov.parent(c13, level)
        assert anc == to_signed(cell.parent(level).id())
        lo, hi = cov.descendant_range(anc)
        assert lo <= c13 <= hi
        assert cov.shares_cell([anc], [c13])
        assert cov.covers([anc], [c13])
