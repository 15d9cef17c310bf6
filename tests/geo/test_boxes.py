"""Oriented boxes never separate footprints that the exact test finds in conflict."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.geo.boxes import apart, oriented_boxes
from deconflict.geo.caps import bounding_caps, lonlat_to_xyz
from deconflict.geo.earth import EARTH_RADIUS_M, TOLERANCE_M, destination
from deconflict.geo.footprint import Circle, Polygon
from deconflict.geo.overlap import footprints_conflict

from .strategies import Vec, bearings, facing_triangles, footprints, line_at, lines, sizes_m

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def separated(a: Polygon | Circle, b: Polygon | Circle) -> bool:
    fps = [a, b]
    centre, radius = bounding_caps(fps)
    pts = [[(f.lon, f.lat)] if isinstance(f, Circle) else list(f.vertices) for f in fps]
    flat = np.array([p for ps in pts for p in ps])
    counts = np.array([len(p) for p in pts])
    circle_r = np.array([f.radius_m if isinstance(f, Circle) else 0.0 for f in fps])
    boxes = oriented_boxes(
        centre, radius, circle_r / EARTH_RADIUS_M, counts, lonlat_to_xyz(flat[:, 0], flat[:, 1])
    )
    i, j = np.array([0, 1]), np.array([1, 0])
    return bool(apart(boxes, i, j, TOLERANCE_M / EARTH_RADIUS_M).any())


@PROPERTY
@given(lines(), st.floats(-0.05, 0.0099), st.floats(0.5, 20_000.0), st.floats(0.5, 500.0))
def test_thin_shapes_within_a_centimetre_are_never_separated(
    line: tuple[Vec, Vec], gap: float, length: float, depth: float
) -> None:
    a, b = facing_triangles(line[0], line[1], gap, length, depth)
    assert footprints_conflict(a, b)
    assert not separated(a, b)


@PROPERTY
@given(footprints(), bearings, sizes_m, st.floats(0.0, 1.5))
def test_no_conflicting_pair_is_separated(
    a: Polygon | Circle, bearing: float, size: float, spread: float
) -> None:
    lon, lat = (a.lon, a.lat) if isinstance(a, Circle) else a.vertices[0]
    centre = destination(lon, lat, bearing, spread * size)
    b = Circle(centre[0], centre[1], size)
    if footprints_conflict(a, b):
        assert not separated(a, b)


def test_parallel_corridors_fifty_metres_apart_are_separated() -> None:
    a, b = facing_triangles(*line_at(8.7, 50.1, math.radians(30)), 50.0, 5_000.0, 100.0)
    assert not footprints_conflict(a, b)
    assert separated(a, b)
