"""Position-in-volume: exact on the sphere, closed intervals, tolerance widens space only."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.geo.contains import any_volume_contains, point_distance_m, volume_contains
from deconflict.geo.earth import destination
from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D

from .strategies import bearings, centres

T0 = datetime(2030, 7, 1, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=30)
MID = T0 + timedelta(minutes=10)
SQUARE = Polygon(((0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01)))


def vol(fp: Polygon | Circle, lo: float = 100.0, hi: float = 200.0) -> Volume4D:
    return Volume4D(fp, AltitudeBand(lo, hi), TimeWindow(T0, T1))


def test_a_point_inside_the_footprint_band_and_window_is_contained() -> None:
    assert volume_contains(vol(SQUARE), 0.005, 0.005, 150.0, MID)


def test_a_point_five_cm_outside_an_edge_is_outside_unless_the_tolerance_covers_it() -> None:
    # Due east of the east edge (a meridian, so the offset is exactly perpendicular).
    lon, lat = destination(0.01, 0.005, math.pi / 2, 0.05)
    assert point_distance_m(SQUARE, lon, lat) == pytest.approx(0.05, abs=1e-4)
    assert not volume_contains(vol(SQUARE), lon, lat, 150.0, MID)
    assert volume_contains(vol(SQUARE), lon, lat, 150.0, MID, tolerance_m=0.06)


def test_the_footprint_boundary_is_inside() -> None:
    assert volume_contains(vol(SQUARE), 0.01, 0.005, 150.0, MID)
    assert volume_contains(vol(SQUARE), 0.0, 0.0, 150.0, MID)


def test_edges_are_great_circles_not_parallels() -> None:
    # A wide box at 60 N: its northern edge bulges poleward of lat 60 at mid-longitude, so
    # a point just north of the parallel is inside; the southern edge bulges too, so a
    # point just north of lat 50 is outside. A lat/lon box test gets both wrong.
    box = Polygon(((-20.0, 50.0), (20.0, 50.0), (20.0, 60.0), (-20.0, 60.0)))
    assert volume_contains(vol(box), 0.0, 60.5, 150.0, MID)
    assert not volume_contains(vol(box), 0.0, 50.5, 150.0, MID)


def test_a_footprint_across_the_antimeridian_contains_both_sides_and_0_360_longitudes() -> None:
    box = Polygon(((179.0, -1.0), (-179.0, -1.0), (-179.0, 1.0), (179.0, 1.0)))
    assert volume_contains(vol(box), 179.5, 0.0, 150.0, MID)
    assert volume_contains(vol(box), -179.5, 0.0, 150.0, MID)
    assert volume_contains(vol(box), 180.5, 0.0, 150.0, MID)
    assert not volume_contains(vol(box), 0.0, 0.0, 150.0, MID)


def test_a_footprint_around_the_pole_contains_the_pole() -> None:
    cap = Polygon(((0.0, 89.0), (120.0, 89.0), (-120.0, 89.0)))
    assert volume_contains(vol(cap), 37.0, 90.0, 150.0, MID)
    assert volume_contains(vol(cap), -150.0, 89.9, 150.0, MID)


def test_the_altitude_band_is_closed_and_widened_by_the_tolerance() -> None:
    v = vol(SQUARE)
    assert volume_contains(v, 0.005, 0.005, 100.0, MID)
    assert volume_contains(v, 0.005, 0.005, 200.0, MID)
    assert not volume_contains(v, 0.005, 0.005, 200.5, MID)
    assert volume_contains(v, 0.005, 0.005, 200.5, MID, tolerance_m=1.0)
    assert volume_contains(v, 0.005, 0.005, 99.5, MID, tolerance_m=1.0)


def test_the_time_window_is_closed_and_not_widened() -> None:
    v = vol(SQUARE)
    assert volume_contains(v, 0.005, 0.005, 150.0, T0)
    assert volume_contains(v, 0.005, 0.005, 150.0, T1)
    late = T1 + timedelta(microseconds=1)
    assert not volume_contains(v, 0.005, 0.005, 150.0, late, tolerance_m=1000.0)


def test_a_union_of_volumes_contains_what_any_one_contains() -> None:
    east = Polygon(((0.02, 0.0), (0.03, 0.0), (0.03, 0.01), (0.02, 0.01)))
    assert any_volume_contains([vol(SQUARE), vol(east)], 0.025, 0.005, 150.0, MID)
    assert not any_volume_contains([vol(SQUARE), vol(east)], 0.015, 0.005, 150.0, MID)


@pytest.mark.parametrize(
    ("tolerance", "t", "field"),
    [
        (-1.0, MID, "tolerance_m"),
        (math.nan, MID, "tolerance_m"),
        (0.0, MID.replace(tzinfo=None), "time"),
    ],
)
def test_bad_arguments_name_the_field(tolerance: float, t: datetime, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        volume_contains(vol(SQUARE), 0.005, 0.005, 150.0, t, tolerance)
    assert err.value.field == field


@settings(max_examples=150, deadline=None)
@given(centres(), bearings, st.floats(1.0, 50_000.0), st.floats(0.0, 10.0))
def test_a_circle_contains_exactly_what_lies_within_radius_plus_tolerance(
    centre: tuple[float, float], bearing: float, radius: float, tolerance: float
) -> None:
    lon, lat = centre
    circle = vol(Circle(lon, lat, radius))
    inner = destination(lon, lat, bearing, radius + tolerance - 0.01)
    outer = destination(lon, lat, bearing, radius + tolerance + 0.01)
    assert volume_contains(circle, *inner, 150.0, MID, tolerance)
    assert not volume_contains(circle, *outer, 150.0, MID, tolerance)
