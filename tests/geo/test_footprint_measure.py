"""A footprint's perimeter (which prices every F3548 extent) against an independent
formula: the haversine lengths of its great-circle edges."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.geo.footprint import Polygon
from deconflict.geo.measure import perimeter_m

from .strategies import centres, star_polygon


def _haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@settings(max_examples=200, deadline=None)
@given(centres(), st.floats(1.0, 50_000.0), st.data())
def test_the_perimeter_is_the_sum_of_the_edges_great_circle_lengths(
    c: tuple[float, float], size_m: float, data: st.DataObject
) -> None:
    polygon: Polygon = data.draw(star_polygon(c[0], c[1], size_m))
    vs = polygon.vertices
    expected = sum(_haversine_m(a, b) for a, b in zip(vs, vs[1:] + vs[:1], strict=True))
    assert math.isclose(perimeter_m(polygon), expected, rel_tol=1e-9, abs_tol=1e-6)
