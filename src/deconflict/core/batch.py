"""Deconflicting a whole plan at once, without a store.

Candidate pairs come from a space-time grid, vectorised with NumPy: every volume is
entered in each (x, y, z, time) grid cell that its bounding box touches (a cube around
its bounding cap on the unit sphere, grown by the conflict tolerance, times its time
window); two volumes that conflict share a point in space and an instant, so they share
a grid cell. Candidates then pass cheap exact filters (time, altitude, cap distance)
and only the survivors reach the exact S2 test. The grid adapts its cell size to the
plan (a few times the median volume), so dense and sparse plans both stay fast.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from deconflict.core.report import Conflict, VolumeOverlap
from deconflict.core.rules import judge_pair
from deconflict.geo.caps import angle_to_chord, bounding_caps
from deconflict.geo.earth import EARTH_RADIUS_M, TOLERANCE_M
from deconflict.geo.overlap import footprint_distances_m, overlap
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation
from deconflict.settings import EqualPriorityPolicy

PAIR_CHUNK = 4_000_000
"""Candidate pairs materialised at once; bounds memory on pathological plans."""


@dataclass(frozen=True)
class BatchReport:
    operations: int
    volumes: int
    conflicts: list[Conflict]
    candidates: int
    """Volume pairs that reached the exact test (for benchmarks)."""


@dataclass(frozen=True)
class VolumeTable:
    """The plan's volumes as columns, for vectorised filters."""

    volumes: list[Volume4D]
    op: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    centre: np.ndarray
    radius: np.ndarray

    @classmethod
    def of(cls, operations: list[Operation]) -> VolumeTable:
        volumes = [v for op in operations for v in op.volumes]
        op_index = np.repeat(np.arange(len(operations)), [len(op.volumes) for op in operations])
        centre, radius = bounding_caps([v.footprint for v in volumes])
        radius = radius + TOLERANCE_M / EARTH_RADIUS_M
        return cls(
            volumes=volumes,
            op=op_index,
            t0=np.array([v.time.start.timestamp() for v in volumes]),
            t1=np.array([v.time.end.timestamp() for v in volumes]),
            lo=np.array([v.altitude.lower_m for v in volumes]),
            hi=np.array([v.altitude.upper_m for v in volumes]),
            centre=centre,
            radius=radius,
        )


def check_plan(
    operations: list[Operation],
    policy: EqualPriorityPolicy = EqualPriorityPolicy.REJECT,
    progress: Callable[[int, int], None] | None = None,
) -> BatchReport:
    """Every conflicting pair of operations in the plan, with their overlaps.

    ``progress(done, total)`` is told how many candidate volume pairs have been tested.
    Ended operations take no part.
    """
    live = [op for op in operations if op.state.is_live]
    table = VolumeTable.of(live)
    a, b = candidate_pairs(table)
    distances = footprint_distances_m(
        [table.volumes[i].footprint for i in a], [table.volumes[j].footprint for j in b]
    )
    hit = distances <= TOLERANCE_M
    by_ops: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for i, j in zip(a[hit].tolist(), b[hit].tolist(), strict=True):
        oi, oj = int(table.op[i]), int(table.op[j])
        if oi > oj:
            oi, oj, i, j = oj, oi, j, i
        by_ops[(oi, oj)].append((i, j))
    conflicts = []
    offsets = np.concatenate([[0], np.cumsum([len(op.volumes) for op in live])])
    total = len(by_ops)
    for done, ((oi, oj), pairs) in enumerate(sorted(by_ops.items())):
        opa, opb = live[oi], live[oj]
        overlaps = []
        for i, j in sorted(pairs):
            ov = overlap(table.volumes[i], table.volumes[j])
            if ov is not None:
                overlaps.append(VolumeOverlap(i - int(offsets[oi]), j - int(offsets[oj]), ov))
        if overlaps:
            verdict, reason = judge_pair(opa, opb, policy)
            conflicts.append(Conflict(opa, opb, tuple(overlaps), verdict, reason))
        if progress is not None:
            progress(done + 1, total)
    conflicts.sort(key=lambda c: tuple(sorted((c.a.id, c.b.id))))
    return BatchReport(len(live), len(table.volumes), conflicts, len(a))


SPACE_BITS = 14
TIME_BITS = 21
BIG_VOLUME_CELLS = 4096
"""Volumes whose box spans more grid cells than this skip the grid and are paired with
every other volume directly: a few continent-sized shapes must not flood the grid."""


def candidate_pairs(table: VolumeTable) -> tuple[np.ndarray, np.ndarray]:
    """Volume index pairs (i < j, different operations) that may conflict."""
    n = len(table.volumes)
    found_a: list[np.ndarray] = []
    found_b: list[np.ndarray] = []

    def add(i: np.ndarray, j: np.ndarray) -> None:
        keep = _may_conflict(table, i, j)
        i, j = i[keep], j[keep]
        found_a.append(np.minimum(i, j))
        found_b.append(np.maximum(i, j))

    if n >= 2:
        lo4, span = _grid_boxes(table)
        cells = np.prod(span, axis=1)
        big = np.flatnonzero(cells > BIG_VOLUME_CELLS)
        small = np.flatnonzero(cells <= BIG_VOLUME_CELLS)
        keys, rows = _grid_entries(lo4[small], span[small])
        owners = small[rows]
        order = np.argsort(keys, kind="stable")
        keys, owners = keys[order], owners[order]
        for pa, pb in _pairs_sharing_keys(keys):
            add(owners[pa], owners[pb])
        everyone = np.arange(n)
        for i in big.tolist():
            add(np.full(n, i), everyone)
    if not found_a:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    code = np.unique(np.concatenate(found_a) * n + np.concatenate(found_b))
    return code // n, code % n


def _may_conflict(table: VolumeTable, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Exact filters on the columns: other operation, time, altitude, cap distance."""
    keep = table.op[i] != table.op[j]
    keep &= (table.t0[i] <= table.t1[j]) & (table.t0[j] <= table.t1[i])
    keep &= (table.lo[i] <= table.hi[j]) & (table.lo[j] <= table.hi[i])
    chord = np.linalg.norm(table.centre[i] - table.centre[j], axis=1)
    keep &= chord <= angle_to_chord(table.radius[i] + table.radius[j])
    result: np.ndarray = keep
    return result


def _grid_boxes(table: VolumeTable) -> tuple[np.ndarray, np.ndarray]:
    """Each volume's box in grid units: lowest (x, y, z, t) cell and extent per axis.

    The cell edge adapts to the plan (four median cap sizes, so most volumes touch two
    cells per axis) and the time tick to twice the median duration, both bounded so
    that keys fit in 64 bits.
    """
    half = angle_to_chord(table.radius)  # every point of the cap is this close to its centre
    cell = float(np.clip(4.0 * np.median(half), 2.0 / ((1 << SPACE_BITS) - 4), 0.5))
    t_origin = float(table.t0.min())
    horizon = float(table.t1.max()) - t_origin
    tick = max(float(np.median(table.t1 - table.t0)) * 2.0, 1.0, horizon / ((1 << TIME_BITS) - 4))
    # Points of a cap lie on the sphere, so its box can be clipped to [-1, 1].
    low = np.clip(table.centre - half[:, None], -1.0, 1.0)
    high = np.clip(table.centre + half[:, None], -1.0, 1.0)
    lo3 = np.floor((low + 1.0) / cell).astype(np.int64)
    hi3 = np.floor((high + 1.0) / cell).astype(np.int64)
    lo_t = np.floor((table.t0 - t_origin) / tick).astype(np.int64)
    hi_t = np.floor((table.t1 - t_origin) / tick).astype(np.int64)
    lo4 = np.column_stack([lo3, lo_t])
    return lo4, np.column_stack([hi3, hi_t]) - lo4 + 1


def _grid_entries(lo4: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One (packed cell key, row) pair per grid cell each box touches."""
    counts = np.prod(span, axis=1)
    rows = np.repeat(np.arange(len(lo4)), counts)
    start = np.cumsum(counts) - counts
    rank = np.arange(int(counts.sum())) - np.repeat(start, counts)
    key = np.zeros(len(rank), dtype=np.int64)
    shift = 0
    for axis, bits in ((3, TIME_BITS), (2, SPACE_BITS), (1, SPACE_BITS), (0, SPACE_BITS)):
        s = span[rows, axis]
        digit = rank % s
        rank //= s
        key |= (lo4[rows, axis] + digit) << shift
        shift += bits
    return key, rows


def _pairs_sharing_keys(keys: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Position pairs (p < q) with equal keys in the sorted ``keys``, in bounded chunks."""
    n = len(keys)
    boundary = np.flatnonzero(np.diff(keys)) + 1
    group_end = np.repeat(np.append(boundary, n), np.diff(np.concatenate([[0], boundary, [n]])))
    partners = group_end - np.arange(n) - 1
    cumulative = np.cumsum(partners)
    start = 0
    while start < n:
        base = cumulative[start - 1] if start else 0
        stop = int(np.searchsorted(cumulative, base + PAIR_CHUNK, side="right"))
        stop = max(stop, start + 1)
        counts = partners[start:stop]
        total = int(counts.sum())
        if total:
            first = np.repeat(np.arange(start, stop), counts)
            offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            yield first, first + 1 + offset
        start = stop
