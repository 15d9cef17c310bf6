"""Reports are drawable: every overlap is valid RFC 7946 GeoJSON, split at the
antimeridian, and a region around a pole is drawn as a cap (issue 16).

"Drawn correctly" is tested by sampling: a point well inside the spherical overlap is
inside the drawn shape, a point well outside it is outside. "Well" is a margin of 1 %
of the overlap's extent (a quarter of its perimeter, or the side of a square of its
area, whichever is larger) plus 10 cm: straight steps in longitude and latitude stand
for great-circle arcs, drawn within 0.3 % of each edge's length.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import shapely
import spherely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from deconflict.core.batch import check_plan
from deconflict.errors import InvalidInput
from deconflict.geo.earth import EARTH_RADIUS_M, destination
from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.overlap import footprint_overlap, footprints_conflict
from deconflict.model.operation import Operation

from ..core.hard_plans import CONTINENTAL_SCALES_M, hard_plans
from .strategies import facing_triangles, line_at, lonlat


def rings_of(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def assert_valid_rfc7946(geometry: dict[str, Any]) -> None:
    assert geometry["type"] in {"Point", "Polygon", "MultiPolygon"}
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"]
        assert -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0
        return
    for ring in rings_of(geometry):
        assert len(ring) >= 4 and ring[0] == ring[-1], "rings are closed, of 4 positions or more"
        for (lon0, lat0), (lon1, lat1) in itertools.pairwise(ring):
            assert -180.0 <= lon0 <= 180.0 and -90.0 <= lat0 <= 90.0
            along_the_pole = lat0 == lat1 and abs(lat0) == 90.0  # a cap's edge of the map
            assert along_the_pole or abs(lon1 - lon0) < 180.0, "no edge jumps the antimeridian"
    drawn = shape(geometry)
    assert drawn.is_valid, shapely.is_valid_reason(drawn)
    polygons = [drawn] if drawn.geom_type == "Polygon" else list(drawn.geoms)
    for p in polygons:
        assert p.exterior.is_ccw, "RFC 7946: exterior rings counter-clockwise"
        assert all(not hole.is_ccw for hole in p.interiors)


def assert_drawn_where_it_is(a: Footprint, b: Footprint, geometry: dict[str, Any]) -> None:
    """Sampled points agree, away from the boundary, on being inside or outside."""
    pa = a.as_polygon if isinstance(a, Circle) else a
    pb = b.as_polygon if isinstance(b, Circle) else b
    common = spherely.intersection(pa.geography, pb.geography)
    if geometry["type"] == "Point" or spherely.is_empty(common):
        return
    extent = max(
        math.sqrt(float(spherely.area(common, radius=EARTH_RADIUS_M))),
        float(spherely.perimeter(common, radius=EARTH_RADIUS_M)) / 4.0,
    )
    centre = spherely.centroid(common)
    lon0, lat0 = float(spherely.get_x(centre)), float(spherely.get_y(centre))
    rng = np.random.default_rng(7)
    points = [
        destination(lon0, lat0, float(rng.uniform(0, 2 * math.pi)), float(d))
        for d in rng.uniform(0.0, 2.0 * extent, 60)
    ]
    lons, lats = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    sphere_points = spherely.points(lons, lats)
    inside_sphere = np.asarray(spherely.contains(common, sphere_points))
    # The overlap's boundary lies on theirs: no point is nearer to it than to the nearer.
    to_edge = np.minimum(
        *(
            np.asarray(
                spherely.distance(
                    spherely.boundary(p.geography), sphere_points, radius=EARTH_RADIUS_M
                )
            )
            for p in (pa, pb)
        )
    )
    inside_drawn = shapely.contains_xy(shape(geometry), lons, lats)
    clear = to_edge > 0.01 * extent + 0.1
    assert np.array_equal(inside_sphere[clear], inside_drawn[clear]), list(
        zip(lons[clear], lats[clear], inside_sphere[clear], inside_drawn[clear], strict=True)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.one_of(hard_plans(), hard_plans(scales=CONTINENTAL_SCALES_M, volumes=1)))
def test_every_overlap_of_a_report_is_valid_geojson_drawn_where_it_is(
    ops: list[Operation],
) -> None:
    for conflict in check_plan(ops).conflicts:
        for reported in conflict.to_json()["overlaps"]:
            assert_valid_rfc7946(reported["geometry"])
        for o in conflict.overlaps:
            a = conflict.a.volumes[o.a_index].footprint
            b = conflict.b.volumes[o.b_index].footprint
            assert_drawn_where_it_is(a, b, o.overlap.geometry)


@given(lon=st.floats(-180.0, 180.0), pole=st.sampled_from([90.0, -90.0]))
@settings(max_examples=20, deadline=None)
def test_an_overlap_around_a_pole_is_drawn_as_a_cap_over_every_longitude(
    lon: float, pole: float
) -> None:
    a, b = Circle(lon, pole, 50_000.0), Circle(0.0, pole - math.copysign(0.1, pole), 40_000.0)
    geometry, _ = footprint_overlap(a, b)
    assert_valid_rfc7946(geometry)
    drawn = shape(geometry)
    assert drawn.bounds[0] == -180.0 and drawn.bounds[2] == 180.0
    assert drawn.covers(shapely.Point(123.0, math.copysign(89.999, pole)))
    assert_drawn_where_it_is(a, b, geometry)


def test_an_overlap_across_the_antimeridian_is_split_into_two_parts() -> None:
    a, b = Circle(180.0, 10.0, 20_000.0), Circle(179.95, 10.0, 20_000.0)
    geometry, _ = footprint_overlap(a, b)
    assert geometry["type"] == "MultiPolygon"
    assert_valid_rfc7946(geometry)
    wests, easts = zip(
        *(
            shape({"type": "Polygon", "coordinates": p}).bounds[::2]
            for p in geometry["coordinates"]
        ),
        strict=True,
    )
    assert min(wests) == -180.0 and max(easts) == 180.0
    assert_drawn_where_it_is(a, b, geometry)


def test_a_polygon_with_a_vertex_on_the_pole_overlaps_as_a_wedge() -> None:
    wedge = Polygon(((0.0, 90.0), (0.0, 80.0), (90.0, 80.0)))
    geometry, _ = footprint_overlap(wedge, Circle(0.0, 89.0, 500_000.0))
    assert_valid_rfc7946(geometry)
    west, _, east, north = shape(geometry).bounds
    assert (round(west, 9), round(east, 9), north) == (0.0, 90.0, 90.0)


def test_a_sliver_along_an_edge_through_the_south_pole_is_drawn_as_the_sliver_not_the_world() -> (
    None
):
    """Found by hypothesis: a corridor whose base edge crosses the south pole and a
    star with an edge 10 cm from it share a strip 3 µm wide; drawn within a
    millimetre, its ring crossed itself and turned clockwise in the plane, and the
    drawing was the whole world but the strip."""
    a = Polygon(
        (
            (-89.99994268186873, -89.99999100679636),
            (90.00005727342776, -89.99999100679636),
            (90.00011456347826, -89.9100589704239),
            (-89.99988539181822, -89.9100589704239),
        )
    )
    b = Polygon(
        (
            (-0.00028647866229924784, -89.91006796362566),
            (-179.9997135213377, -89.91006796362566),
            (89.99999999999554, -89.95503398181378),
        )
    )
    geometry, _ = footprint_overlap(a, b)
    assert_valid_rfc7946(geometry)
    assert shape(geometry).bounds[3] < -89.9, "no part of it is north of the shapes"
    assert_drawn_where_it_is(a, b, geometry)


def test_a_sliver_drawn_as_a_ring_that_crosses_itself_is_drawn_valid() -> None:
    """Found by hypothesis: a sliver a micrometre wide beside the south pole was
    drawn as its ring, which crossed itself (invalid GeoJSON)."""
    a = Polygon(
        (
            (56.81625430270551, -89.99990958057406),
            (-122.21948560301921, -89.99991055320284),
            (-32.0953499051234, -89.99995427725258),
        )
    )
    b = Polygon(
        (
            (56.759270914718876, -89.99990958057406),
            (-122.16188320389368, -89.99991055320284),
            (146.66606590136328, -89.99995579298894),
        )
    )
    geometry, _ = footprint_overlap(a, b)
    assert_valid_rfc7946(geometry)
    assert_drawn_where_it_is(a, b, geometry)


def test_a_cap_whose_ring_starts_on_the_antimeridian_is_drawn() -> None:
    """Found by hypothesis: a ring round the north pole starting at -180 exactly
    ended, once round, exactly on 180, and no crossing of the antimeridian was found."""
    a = Polygon(
        (
            (179.99999713521103, 89.99991006962624),
            (2.8647889755400026e-06, 89.99991006962624),
            (-89.99999999552965, 89.9999550327868),
        )
    )
    b = Polygon(
        (
            (-179.99999713521103, 89.99991006962624),
            (-2.8647889755400026e-06, 89.99991006962624),
            (89.99999999552965, 89.9999550327868),
        )
    )
    geometry, _ = footprint_overlap(a, b)
    assert_valid_rfc7946(geometry)
    assert_drawn_where_it_is(a, b, geometry)


def test_a_polygon_of_bare_pole_vertices_in_an_intersection_is_drawn_as_nothing() -> None:
    """Found by hypothesis: the intersection of two triangles with a vertex on the north
    pole carries, beside its sliver, a polygon of three vertices all on the pole; its
    ring wound once round the pole and drew as the whole world."""
    a = Polygon(
        (
            (-7.016709298534895e-15, 90.0),
            (180.0, 89.99998258636607),
            (151.92751305823583, 89.99999045452044),
        )
    )
    b = Polygon(
        (
            (38.65980814992472, 90.0),
            (178.52172734313348, 89.99998256544879),
            (-151.92751305823583, 89.99999045452044),
        )
    )
    geometry, _ = footprint_overlap(a, b)
    assert_valid_rfc7946(geometry)
    assert shape(geometry).bounds[1] > 89.9, "no part of it is south of the shapes"
    assert_drawn_where_it_is(a, b, geometry)


bearings = st.floats(0.0, 2.0 * math.pi, exclude_max=True)


@st.composite
def across_a_pole(draw: st.DrawFn, pole: float) -> Polygon:
    """A corridor or a triangle whose base edge passes over the pole, or within a
    millimetre to a metre of it: edges where the side of the pole a ring turns is
    decided by rounding."""
    miss_m = draw(st.sampled_from([0.0, 1e-3, 0.1, 1.0]))
    c, t = line_at(*destination(0.0, pole, draw(bearings), miss_m), draw(bearings))
    n = np.cross(c, t)  # across the base; ``t`` along the corridor
    half = draw(st.sampled_from([0.25, 2.5, 100.0])) / EARTH_RADIUS_M
    length = draw(st.sampled_from([10.0, 1_000.0, 10_000.0])) / EARTH_RADIUS_M
    end = math.cos(length) * np.asarray(c) + math.sin(length) * np.asarray(t)
    left, right = (
        lonlat(tuple(math.cos(half) * np.asarray(c) + s * math.sin(half) * n)) for s in (1, -1)
    )
    far = [
        lonlat(tuple(math.cos(half) * end - math.sin(half) * n)),
        lonlat(tuple(math.cos(half) * end + math.sin(half) * n)),
    ]
    if draw(st.booleans()):
        far = [lonlat(tuple(end))]
    try:
        return Polygon((left, right, *far))
    except InvalidInput:
        assume(False)
        raise


@st.composite
def slivers_over_a_pole(draw: st.DrawFn, pole: float) -> tuple[Polygon, Polygon]:
    """Two triangles facing each other across a line over the pole (or within a
    millimetre to a metre of it), overlapping by a micrometre to a centimetre: a
    sliver narrower than the drawing's stray from its arcs."""
    miss_m = draw(st.sampled_from([0.0, 1e-3, 0.1, 1.0]))
    line = line_at(*destination(0.0, pole, draw(bearings), miss_m), draw(bearings))
    overlap_m = draw(st.sampled_from([1e-6, 1e-4, 1e-2]))
    size = draw(st.sampled_from([10.0, 1_000.0, 10_000.0]))
    try:
        return facing_triangles(*line, -overlap_m, size, size / 2.0, straddle=draw(st.booleans()))
    except InvalidInput:
        assume(False)
        raise


@settings(max_examples=40, deadline=None)
@given(pole=st.sampled_from([90.0, -90.0]), slivers=st.booleans(), data=st.data())
def test_an_overlap_of_shapes_with_edges_over_a_pole_is_drawn_where_it_is(
    pole: float, slivers: bool, data: st.DataObject
) -> None:
    if slivers:
        a, b = data.draw(slivers_over_a_pole(pole))
    else:
        a, b = data.draw(across_a_pole(pole)), data.draw(across_a_pole(pole))
    assume(footprints_conflict(a, b))
    geometry, _ = footprint_overlap(a, b)
    assert_valid_rfc7946(geometry)
    assert_drawn_where_it_is(a, b, geometry)
