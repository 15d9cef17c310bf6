"""Latitude-longitude bounding rectangles that respect great-circle edges.

A reference shown to other parties gives a footprint's extent, not its shape. The
rectangle comes from S2, so edges that bulge towards a pole and shapes across the
antimeridian (where ``west > east``) are bounded correctly.
"""

from __future__ import annotations

import s2geometry as s2

from deconflict.geo.covering import s2_region
from deconflict.geo.footprint import Footprint


def bounding_box(footprint: Footprint) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees; ``west > east`` across the antimeridian."""
    rect: s2.S2LatLngRect = s2_region(footprint).GetRectBound()
    return (
        rect.lng_lo().degrees(),
        rect.lat_lo().degrees(),
        rect.lng_hi().degrees(),
        rect.lat_hi().degrees(),
    )
