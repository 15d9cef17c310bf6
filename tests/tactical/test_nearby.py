"""Who is near an off-nominal operation: the exact test and the search region."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.overlap import footprint_distance_m
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.tactical.nearby import Region, _search_volume, is_near, trouble_regions
from deconflict.tactical.views import Position

from .helpers import SPECIAL_LATS, SPECIAL_LONS, offset

T0 = datetime(2030, 7, 1, 10, 0, tzinfo=UTC)
HOUR = TimeWindow(T0, T0 + timedelta(hours=1))
BAND = AltitudeBand(100.0, 200.0)


def square(lon: float, lat: float, d: float = 0.01) -> Polygon:
    return Polygon(((lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)))


def region(fp: Polygon | Circle, band: AltitudeBand = BAND, window: TimeWindow = HOUR) -> Region:
    return Region(fp, band, window)


def test_a_volume_is_near_within_the_distance_and_not_beyond() -> None:
    other = Volume4D(square(0.05, 0.0), BAND, HOUR)  # about 4.45 km east of the square
    assert is_near(other, region(square(0.0, 0.0)), 5_000.0, 0.0)
    assert not is_near(other, region(square(0.0, 0.0)), 4_000.0, 0.0)


def test_a_volume_at_another_time_is_not_near() -> None:
    later = TimeWindow(HOUR.end + timedelta(seconds=1), HOUR.end + timedelta(hours=1))
    other = Volume4D(square(0.0, 0.0), BAND, later)
    assert not is_near(other, region(square(0.0, 0.0)), 10_000.0, 1_000.0)


def test_a_volume_further_above_than_the_vertical_distance_is_not_near() -> None:
    other = Volume4D(square(0.0, 0.0), AltitudeBand(501.0, 600.0), HOUR)
    assert not is_near(other, region(square(0.0, 0.0)), 10_000.0, 300.0)
    assert is_near(other, region(square(0.0, 0.0)), 10_000.0, 301.0)


def test_the_trouble_is_the_volumes_in_force_in_the_window_and_the_aircraft() -> None:
    now = T0 + timedelta(minutes=55)
    done = Volume4D(square(1.0, 0.0), BAND, TimeWindow(T0, T0 + timedelta(minutes=50)))
    flying = Volume4D(square(0.0, 0.0), BAND, HOUR)
    aircraft = Position(now, 0.5, 0.02, 150.0)
    regions = trouble_regions([done, flying], [aircraft], now, 600.0)
    assert [r.footprint for r in regions[:1]] == [flying.footprint]
    assert regions[0].time == TimeWindow(now, HOUR.end)
    assert regions[1].aircraft == aircraft and regions[1].altitude == AltitudeBand(150.0, 150.0)


@settings(max_examples=40, deadline=None)
@given(
    lat=st.sampled_from(SPECIAL_LATS[1:-1]) | st.floats(-80.0, 80.0),
    lon=st.sampled_from(SPECIAL_LONS) | st.floats(-180.0, 180.0),
    size=st.floats(0.001, 0.5),
    near_m=st.floats(1.0, 50_000.0),
    fraction=st.floats(0.0, 1.0),
    bearing=st.floats(0.0, 6.28),
)
def test_the_search_region_holds_every_point_within_the_near_distance(
    lat: float, lon: float, size: float, near_m: float, fraction: float, bearing: float
) -> None:
    """The cell-index search must never miss a near operation: every point within
    ``near_m`` of the trouble lies inside the search circle."""
    lon = min(lon, 180.0 - size)
    lat = min(lat, 89.0 - size)
    trouble = square(lon, lat, size)
    search = _search_volume(region(trouble), near_m, 0.0).footprint
    corner_lat, corner_lon = lat + size, lon + size
    p_lat, p_lon = offset(
        corner_lat,
        corner_lon,
        fraction * near_m * math.sin(bearing),
        fraction * near_m * math.cos(bearing),
    )
    point = Circle(p_lon, p_lat, 0.001)
    if footprint_distance_m(point, trouble) <= near_m:
        assert footprint_distance_m(point, search) == 0.0
