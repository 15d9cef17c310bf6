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
from deconflict.geo.footprint import Circle, Footprint, Polygon

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


def bounding_caps(footprints: list[Footprint]) -> tuple[np.ndarray, np.ndarray]:
    """Centres (n, 3) on the unit sphere and angular radii (n,) holding each footprint."""
    n = len(footprints)
    centres = np.empty((n, 3))
    radii = np.empty(n)
    circle_idx = [i for i, f in enumerate(footprints) if isinstance(f, Circle)]
    circles = [f for f in footprints if isinstance(f, Circle)]
    poly_idx = [i for i, f in enumerate(footprints) if isinstance(f, Polygon)]
    polygons = [f for f in footprints if isinstance(f, Polygon)]
    if circles:
        lon = np.array([c.lon for c in circles])
        lat = np.array([c.lat for c in circles])
        centres[circle_idx] = lonlat_to_xyz(lon, lat)
        radii[circle_idx] = np.array([c.radius_m for c in circles]) / EARTH_RADIUS_M
    if polygons:
        counts = np.array([len(p.vertices) for p in polygons])
        flat = np.array([v for p in polygons for v in p.vertices], dtype=np.float64)
        xyz = lonlat_to_xyz(flat[:, 0], flat[:, 1])
        owner = np.repeat(np.arange(len(poly_idx)), counts)
        sums = np.zeros((len(poly_idx), 3))
        np.add.at(sums, owner, xyz)
        norms = np.linalg.norm(sums, axis=1)
        degenerate = norms < 1e-9
        norms[degenerate] = 1.0
        centre = sums / norms[:, None]
        chord = np.linalg.norm(xyz - centre[owner], axis=1)
        max_chord = np.zeros(len(poly_idx))
        np.maximum.at(max_chord, owner, chord)
        angle = chord_to_angle(max_chord)
        angle[(angle >= np.pi / 2.0) | degenerate] = WHOLE_SPHERE
        centres[poly_idx] = centre
        radii[poly_idx] = angle
    return centres, radii + SAFETY_RAD
