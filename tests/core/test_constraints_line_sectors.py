"""A line with a buffer becomes two sectors; hand-computed widths and areas, including
along and across the antimeridian, where longitude arithmetic would go the long way."""

from __future__ import annotations

import math

import pytest
import spherely

from deconflict.core.constraints import check_airspace
from deconflict.errors import InvalidInput
from deconflict.geo.contains import point_distance_m
from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.geo.footprint import Polygon
from deconflict.model.constraint import AgreedZone, line_sectors
from tests.airspace.factories import box, deg, window
from tests.core.factories import operation, volume


def area(p: Polygon) -> float:
    return float(spherely.area(p.geography, radius=EARTH_RADIUS_M))


def test_line_along_the_antimeridian() -> None:
    # Walking north along 180: left is west (179.99...), right is east (-179.99...).
    left, right = line_sectors([(180.0, -17.0), (180.0, -16.0)], 1000.0)
    # 1 deg of meridian (111,195.1 m) by 1 km, on both sides (S2 areas: to 1e-5).
    strip = math.radians(1.0) * EARTH_RADIUS_M * 1000.0
    assert area(left) == pytest.approx(strip, rel=1e-5)
    assert area(right) == pytest.approx(strip, rel=1e-5)
    lat = -16.5
    assert point_distance_m(left, 180.0 - deg(999.0, lat), lat) == 0.0
    assert point_distance_m(left, 180.0 - deg(1001.0, lat), lat) == pytest.approx(1.0, abs=0.01)
    assert point_distance_m(right, -180.0 + deg(999.0, lat), lat) == 0.0
    assert point_distance_m(right, -180.0 + deg(1001.0, lat), lat) == pytest.approx(1.0, abs=0.01)
    # The sectors do not wrap round the world: a point at longitude 0 is half a world away.
    assert point_distance_m(left, 0.0, lat) > 1e7


def test_line_across_the_antimeridian() -> None:
    # Walking east along the equator from 179.9 E to 179.9 W: left is north.
    left, right = line_sectors([(179.9, 0.0), (-179.9, 0.0)], 500.0)
    assert area(left) == pytest.approx(math.radians(0.2) * EARTH_RADIUS_M * 500.0, rel=1e-5)
    assert point_distance_m(left, 180.0, 0.004) == 0.0  # 445 m north
    assert point_distance_m(right, 180.0, -0.004) == 0.0
    assert point_distance_m(right, 180.0, 0.004) == pytest.approx(444.8, abs=0.5)


def test_wrong_party_in_a_line_sector_near_the_antimeridian() -> None:
    zone = AgreedZone.from_line(
        "dateline", "operator", [(180.0, -17.0), (180.0, -16.0)], 1000.0, "west", "east", window()
    )
    lat = -16.5
    trespass = volume(box(180.0 - deg(500.0, lat), -16.6, 180.0 - deg(400.0, lat), -16.4))
    (hit,) = check_airspace(operation("e1", trespass, party="east"), [], [zone])
    assert hit.assigned_party == "west"
    assert check_airspace(operation("w1", trespass, party="west"), [], [zone]) == []
    # Beyond the buffer (1,100-1,200 m west) the agreement says nothing.
    beyond = volume(box(180.0 - deg(1200.0, lat), -16.6, 180.0 - deg(1100.0, lat), -16.4))
    assert check_airspace(operation("e2", beyond, party="east"), [], [zone]) == []


def test_long_lines_keep_the_offset_within_a_millimetre() -> None:
    # A 2-degree line at 60 N along a parallel is not a great circle: the line itself
    # is the great-circle arc; the offset follows it within SAG_M.
    left, _ = line_sectors([(0.0, 0.0), (2.0, 0.0)], 5000.0)
    # The midpoint of the offset, 5 km north of (1, 0): inside, to the millimetre.
    north = math.degrees(5000.0 / EARTH_RADIUS_M)
    assert point_distance_m(left, 1.0, north - 1e-8) == 0.0
    assert point_distance_m(left, 1.0, north + math.degrees(0.002 / EARTH_RADIUS_M)) > 0.0


def test_mitred_corner_keeps_the_width() -> None:
    # East then north: the left (inner) mitre is 500 m from both arms.
    left, right = line_sectors([(0.0, 0.0), (0.1, 0.0), (0.1, 0.1)], 500.0)
    d = deg(500.0)
    assert point_distance_m(left, 0.1 - d * 0.999, d * 0.999) == 0.0
    assert point_distance_m(right, 0.1 + d * 0.999, -d * 0.999) == 0.0


def test_bad_lines_are_rejected_with_the_field() -> None:
    with pytest.raises(InvalidInput, match="line"):
        line_sectors([(0.0, 0.0)], 100.0)
    with pytest.raises(InvalidInput, match="width_m"):
        line_sectors([(0.0, 0.0), (1.0, 0.0)], -1.0)
    with pytest.raises(InvalidInput, match="turns by more than"):
        line_sectors([(0.0, 0.0), (0.1, 0.0), (0.0, 0.001)], 100.0)
    with pytest.raises(InvalidInput, match="turns by more than"):
        line_sectors([(0.0, 0.0), (0.1, 0.0), (0.0, 0.0)], 100.0)  # doubles back
    with pytest.raises(InvalidInput, match=r"line\[1\].*at most 1000 km"):
        line_sectors([(0.0, 0.0), (180.0, 0.0)], 100.0)  # antipodal: no one great circle
