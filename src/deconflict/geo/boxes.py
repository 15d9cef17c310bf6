"""Oriented bounding boxes on the sphere: a tighter cheap look than caps for thin shapes.

A delivery corridor 10 km long and 100 m wide has a bounding cap 10 km across, so caps
alone let through most corridors that merely pass near each other. Each footprint here
also gets an oriented rectangle in the gnomonic projection centred on its cap. The
gnomonic projection maps every great circle to a straight line, so a ring's edges stay
straight, the rectangle around its projected vertices holds the whole ring, and the
rectangle's own edges are great-circle arcs: a convex spherical quadrilateral.

To compare two footprints, the second one's corners are projected into the first one's
plane and the two convex quadrilaterals are tested for a separating axis. Gnomonic
distances are never shorter than distances on the sphere, and at most sec² θ longer at
angle θ from the centre, so a planar gap larger than the tolerance times sec² θ proves
the footprints farther apart than the tolerance. Any doubt (a shape too large for the
projection, points behind it) keeps the pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deconflict.geo.caps import per_owner

MAX_ANGLE = 1.0
"""Radians; beyond this from a box's centre the projection is not used (kept as a pair)."""


@dataclass(frozen=True)
class Boxes:
    """Per footprint: projection frame (centre, east, north) and 4 corners (unit vectors)."""

    centre: np.ndarray  # (n, 3)
    east: np.ndarray  # (n, 3)
    north: np.ndarray  # (n, 3)
    corners: np.ndarray  # (n, 4, 3)
    usable: np.ndarray  # (n,) bool


def frames(centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An orthonormal tangent basis at each centre (any, as long as it is consistent)."""
    pole = np.where(np.abs(centre[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    east = np.cross(pole, centre)
    east /= np.linalg.norm(east, axis=1)[:, None]
    north = np.cross(centre, east)
    return east, north


def project(
    points: np.ndarray, centre: np.ndarray, east: np.ndarray, north: np.ndarray
) -> np.ndarray:
    """Gnomonic coordinates of ``points`` (..., k, 3) in the planes of ``centre`` (..., 3)."""
    depth = np.einsum("...kj,...j->...k", points, centre)
    x = np.einsum("...kj,...j->...k", points, east) / depth
    y = np.einsum("...kj,...j->...k", points, north) / depth
    return np.stack([x, y], axis=-1)


def oriented_boxes(
    centre: np.ndarray,
    cap_radius: np.ndarray,
    circle_radius: np.ndarray,
    vertex_count: np.ndarray,
    xyz: np.ndarray,
) -> Boxes:
    """Boxes for footprints given as in ``caps.bounding_caps_of_arrays`` (``xyz``: the
    vertices as unit vectors, a circle's centre as its one vertex)."""
    n = len(centre)
    east, north = frames(centre)
    owner = np.repeat(np.arange(n), vertex_count)
    usable = cap_radius < MAX_ANGLE
    depth = _dot_rows(xyz, centre, owner)
    safe = depth > 0.1
    bad_owner = np.zeros(n, dtype=bool)
    bad_owner[owner[~safe]] = True
    usable &= ~bad_owner
    depth = np.where(safe, depth, 1.0)
    px = _dot_rows(xyz, east, owner) / depth
    py = _dot_rows(xyz, north, owner) / depth
    # Principal axis of each footprint's projected vertices orients its rectangle.
    counts = np.maximum(vertex_count, 1)
    mx = np.bincount(owner, px, minlength=n) / counts
    my = np.bincount(owner, py, minlength=n) / counts
    dx, dy = px - mx[owner], py - my[owner]
    sxx = np.bincount(owner, dx * dx, minlength=n)
    syy = np.bincount(owner, dy * dy, minlength=n)
    sxy = np.bincount(owner, dx * dy, minlength=n)
    theta = 0.5 * np.arctan2(2.0 * sxy, sxx - syy)
    ux, uy = np.cos(theta), np.sin(theta)
    a = px * ux[owner] + py * uy[owner]
    b = -px * uy[owner] + py * ux[owner]
    amin = per_owner(np.minimum, a, vertex_count, np.inf)
    amax = per_owner(np.maximum, a, vertex_count, -np.inf)
    bmin = per_owner(np.minimum, b, vertex_count, np.inf)
    bmax = per_owner(np.maximum, b, vertex_count, -np.inf)
    # A circle projects to a disc of radius tan(r) about its own centre.
    circles = circle_radius > 0.0
    half = np.tan(np.minimum(circle_radius, 1.4))
    ux = np.where(circles, 1.0, ux)
    uy = np.where(circles, 0.0, uy)
    amin = np.where(circles, -half, amin)
    amax = np.where(circles, half, amax)
    bmin = np.where(circles, -half, bmin)
    bmax = np.where(circles, half, bmax)
    corners2 = np.stack(
        [
            np.stack([amin, bmin], -1),
            np.stack([amax, bmin], -1),
            np.stack([amax, bmax], -1),
            np.stack([amin, bmax], -1),
        ],
        axis=1,
    )  # (n, 4, 2) in the rotated frame
    gx = corners2[..., 0] * ux[:, None] - corners2[..., 1] * uy[:, None]
    gy = corners2[..., 0] * uy[:, None] + corners2[..., 1] * ux[:, None]
    corners = (
        centre[:, None, :] + gx[..., None] * east[:, None, :] + gy[..., None] * north[:, None, :]
    )
    corners /= np.linalg.norm(corners, axis=2)[..., None]
    return Boxes(centre, east, north, corners, usable)


def _dot_rows(points: np.ndarray, frame: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """``points[k] . frame[owner[k]]``, gathering one column at a time (1-D ``take`` is
    several times faster than gathering rows of a 2-D array)."""
    out: np.ndarray = sum(
        points[:, j] * np.take(np.ascontiguousarray(frame[:, j]), owner) for j in range(3)
    )
    return out


def apart(boxes: Boxes, i: np.ndarray, j: np.ndarray, tolerance_rad: float) -> np.ndarray:
    """True where boxes ``i`` and ``j`` are provably more than ``tolerance_rad`` apart."""
    ci, ei, ni = boxes.centre[i], boxes.east[i], boxes.north[i]
    qi = project(boxes.corners[i], ci, ei, ni)  # (m, 4, 2)
    cj = boxes.corners[j]
    depth = np.einsum("mkj,mj->mk", cj, ci)
    in_front = _min4(depth) > 0.1
    qj = project(cj, ci, ei, ni)
    # Farthest point of either box from i's centre bounds the projection's stretch.
    cos_far = np.minimum(_min4(np.einsum("mkj,mj->mk", boxes.corners[i], ci)), _min4(depth))
    cos_far = np.clip(cos_far, 0.1, 1.0)
    margin = tolerance_rad / (cos_far * cos_far) + 1e-12
    gap = np.full(len(i), -np.inf)
    for quad in (qi, qj):
        for k in range(4):
            edge = quad[:, (k + 1) % 4] - quad[:, k]
            length = np.hypot(edge[:, 0], edge[:, 1])
            ok = length > 1e-15
            safe = np.where(ok, length, 1.0)
            ax, ay = (-edge[:, 1] / safe)[:, None], (edge[:, 0] / safe)[:, None]
            # Spelled out: einsum over 2-vectors is slower than two products and a sum.
            pi = qi[:, :, 0] * ax + qi[:, :, 1] * ay
            pj = qj[:, :, 0] * ax + qj[:, :, 1] * ay
            g = np.maximum(_min4(pj) - _max4(pi), _min4(pi) - _max4(pj))
            gap = np.maximum(gap, np.where(ok, g, -np.inf))
    usable = boxes.usable[i] & boxes.usable[j] & in_front
    result: np.ndarray = usable & (gap > margin)
    return result


def _min4(x: np.ndarray) -> np.ndarray:
    """``x.min(axis=1)`` for (m, 4) arrays, elementwise: numpy reduces a short last
    axis row by row, several times slower (it was half the time of ``apart``)."""
    out: np.ndarray = np.minimum(np.minimum(x[:, 0], x[:, 1]), np.minimum(x[:, 2], x[:, 3]))
    return out


def _max4(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=1)`` for (m, 4) arrays; see ``_min4``."""
    out: np.ndarray = np.maximum(np.maximum(x[:, 0], x[:, 1]), np.maximum(x[:, 2], x[:, 3]))
    return out
