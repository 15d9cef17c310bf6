"""The sphere we compute on, and the precision we promise.

F3548-21 asks for intersection tests precise to 1 cm. We model the Earth as a sphere of
the IUGG mean radius: footprints are regions of that sphere bounded by great-circle arcs,
and circle radii are distances along its surface.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), used for circle radii, distances and areas."""

TOLERANCE_M = 0.01
"""Footprints that come within this distance of each other are in conflict (F3548: 1 cm)."""

MAX_VERTICES = 10_000
"""F3548-21 bound on the number of vertices of one polygon."""

MAX_CIRCLE_RADIUS_M = 10_000_000.0
"""Beyond about a quarter of the Earth's circumference a 'circle' stops being a useful shape."""


def metres_to_radians(metres: float) -> float:
    return metres / EARTH_RADIUS_M


def radians_to_metres(radians: float) -> float:
    return radians * EARTH_RADIUS_M


def unit_vector(lon_deg: float, lat_deg: float) -> tuple[float, float, float]:
    """The point on the unit sphere (x towards lon 0, z towards the north pole)."""
    lat = math.radians(lat_deg)
    lon = math.radians(lon_deg)
    c = math.cos(lat)
    return (c * math.cos(lon), c * math.sin(lon), math.sin(lat))


def destination(
    lon_deg: float, lat_deg: float, bearing_rad: float, dist_m: float
) -> tuple[float, float]:
    """The point ``dist_m`` along the great circle leaving (lon, lat) at ``bearing_rad``.

    Computed with vectors, not the usual spherical-trigonometry formula: that one
    divides by the cosine of the latitude in effect and takes ``asin`` near 1, so from
    a pole every bearing gave the same longitude and centimetres from it the same point
    (a circle centred on a pole drew as a ring of repeated vertices). At a
    pole, where bearings are undefined, "north" is taken along meridian ``lon + 180``,
    the limit of the bearings of points approaching the pole along meridian ``lon``.
    """
    lat = math.radians(lat_deg)
    lon = math.radians(lon_deg)
    d = dist_m / EARTH_RADIUS_M
    c = unit_vector(lon_deg, lat_deg)
    north = (-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat))
    east = (-math.sin(lon), math.cos(lon), 0.0)
    cos_d, sin_d = math.cos(d), math.sin(d)
    cos_b, sin_b = math.cos(bearing_rad), math.sin(bearing_rad)
    x, y, z = (c[k] * cos_d + (north[k] * cos_b + east[k] * sin_b) * sin_d for k in range(3))
    return (math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y))))
