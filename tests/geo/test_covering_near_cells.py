"""A small footprint across level-13 cell edges is covered without S2's buffer and
coverer when every cell around it is surely in or surely out: the shortcut gives the
coverer's own answer whenever it answers, across edges, at corners (where three or
four cells meet, cube corners included), near the poles and the antimeridian."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import s2geometry as s2
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.geo import covering as cov
from deconflict.geo.earth import destination
from deconflict.geo.footprint import Circle, Footprint, Polygon

from .coverings import by_coverer
from .strategies import bearings, cell_edge_points, centres, footprints, lonlat, star_polygon

F = TypeVar("F", bound=Footprint)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _agrees(footprint: Footprint) -> bool:
    near = cov._near_cells(footprint)
    return near is None or near == by_coverer(footprint)


def _leg(lon: float, lat: float, bearing: float, length_m: float, width_m: float) -> Polygon:
    """A ``length_m`` x ``width_m`` rectangle centred on (lon, lat) along ``bearing``:
    one leg of the corridors InterUSS's load test draws."""
    ends = [destination(lon, lat, bearing + a, length_m / 2) for a in (0.0, math.pi)]
    return _valid(
        lambda: Polygon(
            (
                destination(*ends[0], bearing + math.pi / 2, width_m / 2),
                destination(*ends[0], bearing - math.pi / 2, width_m / 2),
                destination(*ends[1], bearing - math.pi / 2, width_m / 2),
                destination(*ends[1], bearing + math.pi / 2, width_m / 2),
            )
        )
    )


def _valid(make: Callable[[], F]) -> F:
    """``make()``, or the example is dropped: a drawn shape may be no polygon at all
    (near a pole a tiny leg can cross itself), which is not what these tests are about."""
    try:
        return make()
    except InvalidInput:
        assume(False)
        raise


@st.composite
def cell_corners(draw: st.DrawFn) -> tuple[float, float]:
    """A vertex of a level-13 cell anywhere (a cube corner sometimes: three cells)."""
    lon, lat = draw(
        st.one_of(
            centres(),
            # The cube's corners, where three faces meet.
            st.sampled_from([(45.0, 35.26439), (-135.0, -35.26439), (135.0, 35.26439)]),
        )
    )
    cell = s2.S2Cell(s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lon)).parent(cov.CELL_LEVEL))
    v = cell.GetVertex(draw(st.integers(0, 3)))
    return lonlat((v.x(), v.y(), v.z()))


@PROPERTY
@given(
    cell_edge_points(),
    bearings,
    st.floats(0.0, 60.0),
    st.floats(0.05, 250.0),
    st.floats(0.01, 20.0),
)
def test_a_corridor_leg_across_a_cell_edge_is_given_the_coverers_cells(
    p: tuple[tuple[float, float, float], tuple[float, float, float]],
    bearing: float,
    offset_m: float,
    length_m: float,
    width_m: float,
) -> None:
    lon, lat = destination(*lonlat(p[0]), bearing, offset_m)
    assert _agrees(_leg(lon, lat, bearing, length_m, width_m))


@PROPERTY
@given(cell_corners(), bearings, st.floats(0.0, 0.2), st.floats(0.05, 140.0), st.data())
def test_a_footprint_at_a_cell_corner_is_given_the_coverers_cells(
    corner: tuple[float, float],
    bearing: float,
    offset_m: float,
    size_m: float,
    data: st.DataObject,
) -> None:
    lon, lat = destination(*corner, bearing, offset_m)
    kind = data.draw(st.sampled_from(["leg", "star", "circle"]))
    footprint: Footprint
    if kind == "leg":
        footprint = _leg(lon, lat, data.draw(bearings), size_m, data.draw(st.floats(0.01, 20.0)))
    elif kind == "star":
        footprint = _valid(lambda: data.draw(star_polygon(lon, lat, size_m)))
    else:
        footprint = _valid(lambda: Circle(lon, lat, size_m))
    assert _agrees(footprint)


@PROPERTY
@given(footprints(st.floats(0.05, 400.0)))
def test_any_small_footprint_is_given_the_coverers_cells(footprint: Footprint) -> None:
    assert _agrees(footprint)


def test_a_leg_across_the_middle_of_an_edge_takes_the_shortcut() -> None:
    """The case the shortcut is for: it answers (two cells), and as the coverer does."""
    cell = s2.S2Cell(s2.S2CellId(s2.S2LatLng.FromDegrees(46.0, 7.0)).parent(cov.CELL_LEVEL))
    a, b = cell.GetVertex(0), cell.GetVertex(1)
    mid = lonlat(((a.x() + b.x()) / 2, (a.y() + b.y()) / 2, (a.z() + b.z()) / 2))
    # Across the edge from vertex 0 to vertex 1: along the bearing from b's side to a's
    # side is along the edge; a quarter turn off it crosses it.
    along = math.atan2(
        math.sin(math.radians(lonlat((b.x(), b.y(), b.z()))[0] - mid[0])),
        lonlat((b.x(), b.y(), b.z()))[1] - mid[1],
    )
    leg = _leg(mid[0], mid[1], along + math.pi / 2, 100.0, 10.0)
    assert cov._inside_one_cell(leg) is None
    near = cov._near_cells(leg)
    assert near is not None and len(near) == 2
    assert cov.covering(leg) == near == by_coverer(leg)


def test_a_long_or_wide_footprint_is_left_to_s2() -> None:
    assert cov._near_cells(_leg(7.0, 46.0, 0.3, 700.0, 10.0)) is None
    assert cov._near_cells(Circle(7.0, 46.0, 400.0)) is None


@PROPERTY
@given(centres(), st.integers(0, 30))
def test_a_cells_edge_normals_are_the_planes_of_its_vertices_pointing_inside(
    c: tuple[float, float], level: int
) -> None:
    """The closed-form normals (both shortcuts test points against them) against the
    cell's own vertices from S2: edge k is the plane through vertices k and k + 1, and
    the other two vertices are on its inner side. Every face, every level."""
    cell_id = s2.S2CellId(s2.S2LatLng.FromDegrees(c[1], c[0])).parent(level)
    cell = s2.S2Cell(cell_id)
    vs = [(v.x(), v.y(), v.z()) for v in (cell.GetVertex(k) for k in range(4))]
    normals = cov._inward_normals.__wrapped__(cov.to_signed(cell_id.id()))  # type: ignore[attr-defined]
    for k, n in enumerate(normals):
        assert math.isclose(math.hypot(*n), 1.0, rel_tol=1e-12)
        heights = [sum(a * b for a, b in zip(n, v, strict=True)) for v in vs]
        assert abs(heights[k]) < 1e-12 and abs(heights[(k + 1) % 4]) < 1e-12
        inner = min(heights[(k + 2) % 4], heights[(k + 3) % 4])
        assert inner > 0.0
        # As far in as the cell is wide: a level-30 cell spans about 1e-9 radians.
        assert inner > 1e-10
