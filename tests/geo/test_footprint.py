"""Footprint validation: every rule gives an error naming the field and the rule."""

from __future__ import annotations

import math

import pytest

from deconflict.errors import InvalidInput
from deconflict.geo.earth import MAX_VERTICES, destination
from deconflict.geo.footprint import Circle, Polygon


def square(lon: float = 10.0, lat: float = 20.0, d: float = 0.01) -> Polygon:
    return Polygon(((lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)))


def test_polygon_needs_three_distinct_vertices() -> None:
    with pytest.raises(InvalidInput, match="at least 3"):
        Polygon(((0.0, 0.0), (1.0, 0.0)))


def test_repeated_vertex_is_rejected_naming_its_index() -> None:
    with pytest.raises(InvalidInput) as err:
        Polygon(((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (1.0, 0.0)))
    assert err.value.field == "vertices[3]"


def test_antimeridian_spellings_of_one_point_are_a_repeat() -> None:
    with pytest.raises(InvalidInput, match="repeats vertex 0"):
        Polygon(((180.0, 0.0), (179.0, 1.0), (-180.0, 0.0), (179.0, -1.0)))


def test_pole_with_two_longitudes_is_a_repeat() -> None:
    with pytest.raises(InvalidInput, match="repeats"):
        Polygon(((0.0, 90.0), (0.0, 80.0), (90.0, 90.0), (90.0, 80.0)))


def test_self_crossing_ring_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="cross"):
        Polygon(((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)))


@pytest.mark.parametrize(("lon", "lat"), [(0.0, 90.5), (0.0, -91.0), (180.5, 0.0), (-181.0, 0.0)])
def test_coordinates_out_of_range_are_rejected(lon: float, lat: float) -> None:
    with pytest.raises(InvalidInput, match="outside"):
        Polygon(((lon, lat), (0.0, 0.0), (0.5, 0.5)))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_coordinates_are_rejected(bad: float) -> None:
    with pytest.raises(InvalidInput, match="finite"):
        Polygon(((bad, 0.0), (1.0, 0.0), (1.0, 1.0)))


def test_more_than_ten_thousand_vertices_is_rejected() -> None:
    ring = tuple(destination(0.0, 0.0, 2 * math.pi * i / 10_001, 1000.0) for i in range(10_001))
    with pytest.raises(InvalidInput, match=str(MAX_VERTICES)):
        Polygon(ring)


def test_ten_thousand_vertices_is_accepted() -> None:
    ring = tuple(destination(0.0, 0.0, 2 * math.pi * i / 10_000, 1000.0) for i in range(10_000))
    assert len(Polygon(ring).vertices) == MAX_VERTICES


def test_ring_encloses_smaller_region_whatever_its_orientation() -> None:
    ccw = square()
    cw = Polygon(tuple(reversed(ccw.vertices)))
    import spherely

    assert spherely.area(cw.geography) == pytest.approx(spherely.area(ccw.geography))
    assert spherely.area(cw.geography) < 2e6


def test_closed_geojson_ring_drops_its_closing_vertex() -> None:
    poly = Polygon.from_ring([[0, 0], [1, 0], [1, 1], [0, 0]])
    assert len(poly.vertices) == 3


@pytest.mark.parametrize("radius", [0.0, -1.0, math.nan, math.inf])
def test_circle_radius_must_be_positive_and_finite(radius: float) -> None:
    with pytest.raises(InvalidInput) as err:
        Circle(0.0, 0.0, radius)
    assert err.value.field == "radius_m"


def test_circle_centre_must_be_on_earth() -> None:
    with pytest.raises(InvalidInput) as err:
        Circle(0.0, 95.0, 10.0)
    assert err.value.field == "center"


def test_bulk_ring_check_rejects_exactly_what_polygon_rejects() -> None:
    from deconflict.geo.footprint import invalid_rings

    rings = [
        ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)),  # fine
        ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)),  # bow tie
        ((0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (0.0, 1.0)),  # repeated vertex
        ((0.0, 0.0), (1.0, 0.0), (2.0, 0.0)),  # collinear: no area
        ((0.0, 0.0), (1.0, 0.0)),  # too few
        ((0.0, 0.0), (1.0, 95.0), (1.0, 1.0)),  # latitude out of range
        ((0.0, 0.0), (math.nan, 0.0), (1.0, 1.0)),  # not a number
        ((179.0, 0.0), (-179.0, 0.0), (-179.0, 1.0)),  # across the antimeridian: fine
    ]
    rejected = []
    for k, ring in enumerate(rings):
        try:
            Polygon(ring)
        except InvalidInput:
            rejected.append(k)
    assert rejected == [1, 2, 3, 4, 5, 6]
    assert invalid_rings(rings) == rejected


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ([1.0, "north"], "coordinates must be numbers, got 'north'"),
        ([None, 1.0], "coordinates must be numbers, got None"),
        ([1.0, True], "coordinates must be numbers, not true/false"),
        ([1.0], "a position must be [lon, lat]"),
        ("1,1", "a position must be [lon, lat]"),
    ],
)
def test_a_position_that_is_not_two_numbers_is_named_by_its_own_index(
    bad: object, rule: str
) -> None:
    ring = [[0.0, 0.0], [1.0, 0.0], bad, [0.0, 1.0], [0.0, 0.0]]
    with pytest.raises(InvalidInput) as err:
        Polygon.from_ring(ring)  # type: ignore[arg-type]
    assert (err.value.field, err.value.rule) == ("vertices[2]", rule)
