"""Is a reported position inside a 4D volume? The test conformance monitoring runs.

The same exact sphere as the conflict test (see ``overlap``): the horizontal test is an
S2 distance from the point to the footprint, so a polygon's great-circle edges, the
antimeridian and the poles need no special case, and a circle is judged by the distance
to its centre, never by a polygon standing in for it.

All three intervals are closed, like the volumes themselves, and the tolerance widens the
footprint and the altitude band alike. A tolerance is what makes conformance monitoring
usable: a GNSS fix wanders by metres, and an aircraft flying along the edge of its
volume must not be declared nonconforming every other report. The time window is *not*
widened: whether an operation is planned at that instant is a fact of the plan, not a
measurement with an error.

``BOUNDARY_SLACK_M`` exists because S2 answers about 1e-11 m, not 0, for a point exactly
on a polygon edge; a micrometre is far below the 1 cm precision the service promises and
keeps the boundary inside, as a closed footprint requires.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

import spherely

from deconflict.errors import InvalidInput
from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.geo.footprint import Circle, Footprint
from deconflict.geo.volume import Volume4D

BOUNDARY_SLACK_M = 1e-6


def _wrap_lon(lon: float) -> float:
    """Longitudes outside [-180, 180] (trackers report 0-360 too) onto the usual range."""
    if -180.0 <= lon <= 180.0:
        return lon
    return (lon + 180.0) % 360.0 - 180.0


def point_distance_m(footprint: Footprint, lon: float, lat: float) -> float:
    """Surface distance from the point to the footprint; 0 inside it."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput("lon", "coordinates must be finite numbers")
    if not -90.0 <= lat <= 90.0:
        raise InvalidInput("lat", f"latitude {lat} is outside [-90, 90]")
    point = spherely.create_point(_wrap_lon(lon), lat)
    if isinstance(footprint, Circle):
        d = float(spherely.distance(point, footprint.center_geography, radius=EARTH_RADIUS_M))
        return max(0.0, d - footprint.radius_m)
    return float(spherely.distance(point, footprint.geography, radius=EARTH_RADIUS_M))


def volume_contains(
    volume: Volume4D,
    lon: float,
    lat: float,
    alt_m: float,
    t: datetime,
    tolerance_m: float = 0.0,
) -> bool:
    """True when the position at ``t`` is within ``tolerance_m`` of the volume.

    The cheap tests (time, then altitude) run first, so checking a report against an
    operation's many volumes costs one S2 query only for the volumes active at ``t``.
    """
    if not (math.isfinite(tolerance_m) and tolerance_m >= 0.0):
        raise InvalidInput("tolerance_m", "must be a finite number of metres, at least 0")
    if t.tzinfo is None or t.utcoffset() is None:
        raise InvalidInput("time", "time must carry a timezone")
    if not math.isfinite(alt_m):
        raise InvalidInput("alt_m", "must be a finite number of metres")
    if not volume.time.contains(t):
        return False
    band = volume.altitude
    if not band.lower_m - tolerance_m <= alt_m <= band.upper_m + tolerance_m:
        return False
    return point_distance_m(volume.footprint, lon, lat) <= tolerance_m + BOUNDARY_SLACK_M


def any_volume_contains(
    volumes: Iterable[Volume4D],
    lon: float,
    lat: float,
    alt_m: float,
    t: datetime,
    tolerance_m: float = 0.0,
) -> bool:
    """An operation is a union of volumes: inside any one of them is inside the operation."""
    return any(volume_contains(v, lon, lat, alt_m, t, tolerance_m) for v in volumes)
