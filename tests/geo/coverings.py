"""The covering as S2's buffer and coverer alone make it: what both covering shortcuts
(``_inside_one_cell``, ``_near_cells``) are held to."""

from __future__ import annotations

from deconflict.geo import covering as cov
from deconflict.geo.footprint import Footprint


def by_coverer(footprint: Footprint) -> list[int]:
    """``covering(footprint)`` with both shortcuts switched off."""
    one, near = cov._inside_one_cell, cov._near_cells
    cov._inside_one_cell = lambda _f: None
    cov._near_cells = lambda _f: None
    try:
        return cov.covering(footprint)
    finally:
        cov._inside_one_cell, cov._near_cells = one, near
