"""A footprint inside one level-13 cell is covered by that cell without S2's coverer:
the shortcut gives the coverer's own answer whenever it answers, near cell edges (within
centimetres), corners, the poles and the antimeridian included."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.geo import covering as cov
from deconflict.geo.earth import destination
from deconflict.geo.footprint import Circle, Footprint, Polygon

from .coverings import by_coverer
from .strategies import bearings, cell_edge_points, footprints, lonlat

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _agrees(footprint: Footprint) -> bool:
    alone = cov._inside_one_cell(footprint)
    return alone is None or [alone] == by_coverer(footprint)


@PROPERTY
@given(cell_edge_points(), bearings, st.floats(0.0, 0.1), st.floats(0.05, 400.0))
def test_a_small_polygon_near_a_cell_edge_is_given_the_coverers_cells(
    p: tuple[tuple[float, float, float], tuple[float, float, float]],
    bearing: float,
    offset_m: float,
    size_m: float,
) -> None:
    lon, lat = lonlat(p[0])
    lon, lat = destination(lon, lat, bearing, offset_m)
    ring = tuple(destination(lon, lat, bearing + k * math.pi / 2, size_m) for k in range(4))
    assert _agrees(Polygon(ring))


@PROPERTY
@given(cell_edge_points(), bearings, st.floats(0.0, 0.1), st.floats(0.001, 600.0))
def test_a_small_circle_near_a_cell_edge_is_given_the_coverers_cells(
    p: tuple[tuple[float, float, float], tuple[float, float, float]],
    bearing: float,
    offset_m: float,
    radius_m: float,
) -> None:
    lon, lat = destination(*lonlat(p[0]), bearing, offset_m)
    assert _agrees(Circle(lon, lat, radius_m))


@PROPERTY
@given(footprints(st.floats(0.05, 1500.0)))
def test_any_small_footprint_is_given_the_coverers_cells(footprint: Footprint) -> None:
    assert _agrees(footprint)


def test_a_square_metre_in_the_middle_of_a_cell_takes_the_shortcut() -> None:
    square = Polygon(((7.0, 46.0), (7.00001, 46.0), (7.00001, 46.00001), (7.0, 46.00001)))
    alone = cov._inside_one_cell(square)
    assert alone is not None
    assert cov.covering(square) == [alone] == by_coverer(square)
