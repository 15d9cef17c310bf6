"""Bounding caps of footprints, vectorised: the cheap, conservative first look.

A spherical cap of angular radius below 90 degrees is geodesically convex, so when it
holds every vertex of a ring it holds every edge too; and since a ring encloses the
smaller of its two regions, the region lies inside the cap (the cap's complement is
connected, bigger than a hemisphere and touches no edge, so it cannot be inside). A
ring whose vertices do not fit in such a cap gets a cap covering the whole sphere.
"""

from __future__ import annotations

import numpy as np

from deconflict.geo.earth import EARTH_RADIUS_M
from deconflict.geo.footprint import Circle, Footprint

WHOLE_SPHERE = np.pi
SAFETY_RAD = 1e-12
"""Covers rounding in the chord arithmetic (a few nanometres on the ground)."""


def lonlat_to_xyz(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    lon = np.radians(lon_deg)
    lat = np.radians(lat_deg)
    c = np.cos(lat)
    return np.stack([c * np.cos(lon), c * np.sin(lon), np.sin(lat)], axis=-1)


def chord_to_angle(chord: np.ndarray) -> np.ndarray:
    """Exact for small angles, unlike arccos of a dot product."""
    result: np.ndarray = 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    return result


def angle_to_chord(angle: np.ndarray) -> np.ndarray:
    result: np.ndarray = 2.0 * np.sin(np.minimum(angle, np.pi) / 2.0)
    return result


def per_owner(reduce: np.ufunc, values: np.ndarray, counts: np.ndarray, empty: float) -> np.ndarray:
    """``reduce`` over each run of ``counts[k]`` consecutive values (``empty`` for none).

    ``reduceat`` on the runs' starts: the same result as ``reduce.at`` by owner, many
    times faster (``ufunc.at`` is unbuffered)."""
    out = np.full(len(counts), empty)
    present = counts > 0
    if values.size:
        starts = (np.cumsum(counts) - counts)[present]
        out[present] = reduce.reduceat(values, starts)
    return out


def bounding_caps(footprints: list[Footprint]) -> tuple[np.ndarray, np.ndarray]:
    """Centres (n, 3) on the unit sphere and angular radii (n,) holding each footprint."""
    radius = np.array([f.radius_m if isinstance(f, Circle) else 0.0 for f in footprints])
    points = [[(f.lon, f.lat)] if isinstance(f, Circle) else list(f.vertices) for f in footprints]
    counts = np.array([len(p) for p in points], dtype=np.int64)
    flat = np.array([v for p in points for v in p], dtype=np.float64).reshape(-1, 2)
    return bounding_caps_of_arrays(radius, counts, flat[:, 0], flat[:, 1])


def bounding_caps_of_arrays(
    radius_m: np.ndarray,
    vertex_count: np.ndarray,
    lons: np.ndarray,
    lats: np.ndarray,
    xyz: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``bounding_caps`` on columns: a circle is one vertex (its centre) and a radius
    above 0; a polygon is its ``vertex_count`` consecutive vertices and radius 0.
    ``xyz``: the vertices as unit vectors, if the caller has them already."""
    n = len(radius_m)
    if xyz is None:
        xyz = lonlat_to_xyz(lons, lats)
    owner = np.repeat(np.arange(n), vertex_count)
    sums = np.column_stack([np.bincount(owner, xyz[:, k], minlength=n) for k in range(3)])
    norms = np.linalg.norm(sums, axis=1)
    degenerate = norms < 1e-9
    norms[degenerate] = 1.0
    centre = sums / norms[:, None]
    chord = np.linalg.norm(xyz - centre[owner], axis=1)
    max_chord = per_owner(np.maximum, chord, vertex_count, 0.0)
    angle = chord_to_angle(max_chord)
    angle[(angle >= np.pi / 2.0) | degenerate] = WHOLE_SPHERE
    circles = radius_m > 0.0
    angle[circles] = radius_m[circles] / EARTH_RADIUS_M
    return centre, angle + SAFETY_RAD
