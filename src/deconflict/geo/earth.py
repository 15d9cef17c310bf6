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
    """The point ``dist_m`` along the great circle leaving (lon, lat) at ``bearing_rad``."""
    lat1 = math.radians(lat_deg)
    lon1 = math.radians(lon_deg)
    d = dist_m / EARTH_RADIUS_M
    sin_lat2 = math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(bearing_rad)
    lat2 = math.asin(max(-1.0, min(1.0, sin_lat2)))
    y = math.sin(bearing_rad) * math.sin(d) * math.cos(lat1)
    x = math.cos(d) - math.sin(lat1) * sin_lat2
    lon2 = lon1 + math.atan2(y, x)
    lon2_deg = (math.degrees(lon2) + 540.0) % 360.0 - 180.0
    return (lon2_deg, math.degrees(lat2))
