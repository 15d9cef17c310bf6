"""Sizes of footprints on the sphere: area and perimeter, cheap enough to judge a
request's cost before anything is covered or searched."""

from __future__ import annotations

import math

from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.geo.footprint import Circle, Footprint


def area_m2(footprint: Footprint) -> float:
    if isinstance(footprint, Circle):
        # Spherical cap: 2 pi R^2 (1 - cos(r / R)).
        angle = footprint.radius_m / EARTH_RADIUS_M
        return 2.0 * math.pi * EARTH_RADIUS_M**2 * (1.0 - math.cos(angle))
    return float(footprint.steradians * EARTH_RADIUS_M**2)


def perimeter_m(footprint: Footprint) -> float:
    """The length of the boundary along the surface (great-circle edges)."""
    if isinstance(footprint, Circle):
        return 2.0 * math.pi * EARTH_RADIUS_M * math.sin(footprint.radius_m / EARTH_RADIUS_M)
    points = list(footprint.points)
    total = 0.0
    # Unpacked, with no generator per edge: every F3548 extent is priced by its
    # perimeter, and the loop was a tenth of a corridor intent's CPU. Same arithmetic
    # in the same order as the plain cross and dot products, so the same floats.
    for (ax, ay, az), (bx, by, bz) in zip(points, points[1:] + points[:1], strict=True):
        cx = ay * bz - az * by
        cy = az * bx - ax * bz
        cz = ax * by - ay * bx
        total += math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz)
    return total * EARTH_RADIUS_M
