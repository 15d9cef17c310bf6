"""The exact footprint and 4D tests: 1 cm precision anywhere on Earth."""

from __future__ import annotations

import math
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import InternalError, InvalidInput
from deconflict.geo.earth import EARTH_RADIUS_M, destination
from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.overlap import (
    footprint_distance_m,
    footprint_distances_m,
    footprints_conflict,
    overlap,
    volumes_conflict,
)
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D

from .strategies import Vec, bearings, centres, facing_triangles, footprints, line_at, lines

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def vol(
    fp: Polygon | Circle, lo: float = 0, hi: float = 100, t0: int = 0, t1: int = 600
) -> Volume4D:
    return Volume4D(
        fp, AltitudeBand(lo, hi), TimeWindow(T0 + timedelta(seconds=t0), T0 + timedelta(seconds=t1))
    )


@settings(max_examples=150, deadline=None)
@given(lines())
def test_polygons_five_cm_apart_are_separate_anywhere(line: tuple[Vec, Vec]) -> None:
    a, other = facing_triangles(line[0], line[1], 0.05, 200.0, 150.0)
    assert footprint_distance_m(a, other) == pytest.approx(0.05, abs=0.002)
    assert not footprints_conflict(a, other)


@settings(max_examples=150, deadline=None)
@given(lines())
def test_polygons_overlapping_by_five_cm_conflict_anywhere(line: tuple[Vec, Vec]) -> None:
    a, other = facing_triangles(line[0], line[1], -0.05, 200.0, 150.0)
    assert footprints_conflict(a, other)


@settings(max_examples=100, deadline=None)
@given(lines())
def test_polygons_half_a_centimetre_apart_conflict(line: tuple[Vec, Vec]) -> None:
    a, other = facing_triangles(line[0], line[1], 0.005, 200.0, 150.0)
    assert footprints_conflict(a, other)


@settings(max_examples=100, deadline=None)
@given(centres(), bearings, st.floats(1.0, 5000.0))
def test_circles_conflict_exactly_when_centres_are_within_the_radii_plus_a_centimetre(
    c: tuple[float, float], b: float, r: float
) -> None:
    near = destination(c[0], c[1], b, 2 * r + 0.005)
    far = destination(c[0], c[1], b, 2 * r + 0.05)
    assert footprints_conflict(Circle(c[0], c[1], r), Circle(near[0], near[1], r))
    assert not footprints_conflict(Circle(c[0], c[1], r), Circle(far[0], far[1], r))


def test_circle_five_cm_outside_a_polygon_edge_is_separate() -> None:
    a, _ = facing_triangles(*line_at(30.0, 10.0, 0.0), 0.05, 200.0, 150.0)
    # The circle's centre lies 100 m + 5 cm east of the triangle's base line.
    centre = destination(30.0, 10.0, math.pi / 2, 100.05)
    assert not footprints_conflict(a, Circle(centre[0], centre[1], 100.0))
    centre_in = destination(30.0, 10.0, math.pi / 2, 99.95)
    assert footprints_conflict(a, Circle(centre_in[0], centre_in[1], 100.0))


def test_polygon_across_the_antimeridian_meets_its_neighbour_on_the_other_side() -> None:
    west = Polygon(((179.99, 0.0), (-179.99, 0.0), (-179.99, 0.01), (179.99, 0.01)))
    east = Polygon(((-179.995, 0.005), (-179.98, 0.005), (-179.98, 0.02), (-179.995, 0.02)))
    assert footprints_conflict(west, east)


def test_polygon_around_the_pole_contains_a_circle_at_the_pole() -> None:
    cap = Polygon(((0.0, 89.0), (120.0, 89.0), (-120.0, 89.0)))
    assert footprints_conflict(cap, Circle(45.0, 90.0, 10.0))
    assert not footprints_conflict(cap, Circle(0.0, 0.0, 10.0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(footprints(), footprints()), min_size=1, max_size=5))
def test_vectorised_distances_agree_with_single_distances(
    pairs: list[tuple[Polygon | Circle, Polygon | Circle]],
) -> None:
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    many = footprint_distances_m(a, b)
    for i, (x, y) in enumerate(pairs):
        assert many[i] == pytest.approx(footprint_distance_m(x, y), abs=1e-6)


def test_touching_time_windows_conflict() -> None:
    sq = Polygon(((0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01)))
    assert volumes_conflict(vol(sq, t0=0, t1=600), vol(sq, t0=600, t1=1200))


def test_disjoint_time_windows_do_not_conflict() -> None:
    sq = Polygon(((0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01)))
    assert not volumes_conflict(vol(sq, t0=0, t1=600), vol(sq, t0=601, t1=1200))


def test_touching_altitude_bands_conflict_and_separate_ones_do_not() -> None:
    sq = Polygon(((0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01)))
    assert volumes_conflict(vol(sq, 0, 100), vol(sq, 100, 200))
    assert not volumes_conflict(vol(sq, 0, 100), vol(sq, 100.01, 200))


def test_overlap_reports_common_window_band_and_area() -> None:
    a = Polygon(((0.0, 0.0), (0.02, 0.0), (0.02, 0.02), (0.0, 0.02)))
    b = Polygon(((0.01, 0.01), (0.03, 0.01), (0.03, 0.03), (0.01, 0.03)))
    o = overlap(vol(a, 0, 100, 0, 600), vol(b, 50, 150, 300, 900))
    assert o is not None
    assert o.time == TimeWindow(T0 + timedelta(seconds=300), T0 + timedelta(seconds=600))
    assert o.altitude == AltitudeBand(50, 100)
    side = math.radians(0.01) * EARTH_RADIUS_M
    assert o.area_m2 == pytest.approx(side * side, rel=1e-3)
    assert o.geometry["type"] == "Polygon"


def test_overlap_of_touching_footprints_is_a_point_with_no_area() -> None:
    a, b = facing_triangles(*line_at(5.0, 5.0, 0.0), 0.005, 200.0, 150.0)
    o = overlap(vol(a), vol(b))
    assert o is not None
    assert o.area_m2 == 0.0
    assert o.geometry["type"] == "Point"


def test_circle_overlap_area_is_close_to_the_true_circle_area() -> None:
    c = Circle(10.0, 10.0, 100.0)
    o = overlap(vol(c), vol(c))
    assert o is not None
    assert o.area_m2 == pytest.approx(math.pi * 100.0**2, rel=1e-3)


def test_no_overlap_is_none() -> None:
    a, b = facing_triangles(*line_at(5.0, 5.0, 0.0), 0.05, 200.0, 150.0)
    assert overlap(vol(a), vol(b)) is None


@pytest.mark.parametrize("pole", [90.0, -90.0])
@pytest.mark.parametrize("lon", [0.0, 123.4, -180.0])
def test_a_circle_centred_on_a_pole_overlaps_a_circle_beside_it(pole: float, lon: float) -> None:
    # Issue 16, defect 1: drawing the circle at the pole made a polygon with repeated
    # vertices, and the report failed.
    at_pole = Circle(lon, pole, 500.0)
    beside = Circle(0.0, math.copysign(90.0 - math.degrees(100.0 / EARTH_RADIUS_M), pole), 50.0)
    o = overlap(vol(at_pole), vol(beside))
    assert o is not None
    assert o.area_m2 == pytest.approx(math.pi * 50.0**2, rel=1e-3)


@pytest.mark.parametrize("pole", [90.0, -90.0])
def test_the_drawn_circle_at_a_pole_encloses_the_pole_at_its_radius(pole: float) -> None:
    drawn = Circle(0.0, pole, 500.0).as_polygon
    assert len(set(drawn.vertices)) == len(drawn.vertices)
    for _lon, lat in drawn.vertices:
        assert abs(pole - lat) == pytest.approx(math.degrees(500.0 / EARTH_RADIUS_M), rel=1e-9)
    assert footprint_distance_m(drawn, Circle(0.0, pole, 0.001)) == 0.0


def test_a_circle_below_the_precision_overlaps_as_its_centre_point() -> None:
    # Its inscribed polygon would enclose no area: drawing it failed as "invalid input".
    o = overlap(vol(Circle(3.0, 4.0, 0.0001)), vol(Circle(3.0, 4.0, 5.0)))
    assert o is not None
    assert o.geometry == {"type": "Point", "coordinates": [3.0, 4.0]}
    assert o.area_m2 == 0.0


def test_a_rule_failing_while_drawing_an_overlap_is_our_error_not_invalid_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(_: object) -> object:
        raise InvalidInput("vertices[2]", "repeats vertex 1")

    monkeypatch.setattr("deconflict.geo.overlap._as_polygon", broken)
    with pytest.raises(InternalError) as caught:
        overlap(vol(Circle(0.0, 0.0, 10.0)), vol(Circle(0.0, 0.0, 10.0)))
    assert not isinstance(caught.value, InvalidInput)


def test_invalid_input_survives_pickling_for_the_checkers_workers() -> None:
    back = pickle.loads(pickle.dumps(InvalidInput("features[3].geometry", "edges cross")))
    assert (back.field, back.rule) == ("features[3].geometry", "edges cross")
