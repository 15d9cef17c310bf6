"""The level-13 covering is conservative: it never misses an overlap the exact test finds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.geo.covering import CELL_LEVEL, covering, to_signed, to_unsigned
from deconflict.geo.earth import destination
from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.overlap import footprints_conflict

from .strategies import (
    Vec,
    bearings,
    cell_edge_points,
    facing_triangles,
    footprints,
    lonlat,
    sizes_m,
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def shares_cell(a: Polygon | Circle, b: Polygon | Circle) -> bool:
    return bool(set(covering(a)) & set(covering(b)))


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
def test_covering_is_at_the_reference_level_and_nonempty(f: Polygon | Circle) -> None:
    import s2geometry as s2

    cells = covering(f)
    assert cells
    assert all(s2.S2CellId(to_unsigned(c)).level() == CELL_LEVEL for c in cells)


@given(st.integers(0, (1 << 64) - 1))
def test_signed_storage_round_trips_every_cell_id(cell_id: int) -> None:
    stored = to_signed(cell_id)
    assert -(1 << 63) <= stored < (1 << 63)
    assert to_unsigned(stored) == cell_id
