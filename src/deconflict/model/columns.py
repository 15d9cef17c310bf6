"""A plan as columns: one row per volume, the shape the whole-plan checker works on.

Domain objects are built from a row only when needed (validation, exact tests,
reports), because building 200,000 of them up front costs more than the whole check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

import numpy as np

from deconflict.geo.footprint import Circle, Footprint, Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def append_footprint(
    f: Footprint,
    radius: list[float],
    vertex_count: list[int],
    lons: list[float],
    lats: list[float],
) -> None:
    """A footprint as columns: a circle is its radius and its one centre, a polygon is
    a radius of 0 and its vertices (ring not closed). Both readers of plans write rows
    this way, so the arrays mean the same whichever built them."""
    if isinstance(f, Circle):
        radius.append(f.radius_m)
        vertex_count.append(1)
        lons.append(f.lon)
        lats.append(f.lat)
    else:
        radius.append(0.0)
        vertex_count.append(len(f.vertices))
        lons.extend(p[0] for p in f.vertices)
        lats.extend(p[1] for p in f.vertices)


def micros(t: datetime) -> int:
    """An aware time as integer microseconds since the epoch: exact, unlike a float."""
    return (t - EPOCH) // ONE_US


@dataclass
class PlanColumns:
    """One row per volume (arrays) and one entry per operation (lists)."""

    op_ids: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)
    priorities: list[int] = field(default_factory=list)
    states: list[OperationState] = field(default_factory=list)
    feature: list[int] = field(default_factory=list)
    """Index of each volume's feature in the file, for error messages (-1: none)."""
    vol_op: list[int] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    radius: list[float] = field(default_factory=list)
    """Circle radius in metres; 0 for a polygon."""
    first_vertex: list[int] = field(default_factory=list)
    vertex_count: list[int] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    """Polygon vertices (ring not closed), or the one centre of a circle."""
    built: dict[int, Footprint] = field(default_factory=dict, repr=False)
    """Footprints already built (and so validated), by volume index."""
    pending: Callable[[], None] | None = field(default=None, repr=False)
    """Validation still running elsewhere; see ``settle``."""
    bulk: VolumeArrays | None = field(default=None, repr=False)
    """The volumes as arrays when the plan was read in bulk (``from_arrays``); the
    per-volume lists other than ``vol_op`` are then empty and every read goes here."""

    @classmethod
    def from_arrays(
        cls,
        op_ids: list[str],
        parties: list[str],
        priorities: list[int],
        states: list[OperationState],
        arrays: VolumeArrays,
    ) -> PlanColumns:
        """Columns over arrays read in bulk: no Python object per volume or vertex,
        which at a million operations would cost gigabytes."""
        return cls(op_ids, parties, priorities, states, vol_op=arrays.op.tolist(), bulk=arrays)

    def settle(self) -> None:
        """Wait for any validation still running; raises ``InvalidInput`` if it failed."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending()

    def __len__(self) -> int:
        return len(self.vol_op)

    def end_of_operations(self) -> np.ndarray:
        """Each operation's latest volume end, in microseconds (int64 minimum: none)."""
        latest = np.full(len(self.op_ids), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(latest, self.arrays.op, self.arrays.t1_us)
        return latest

    def add_volume(self, op: int, feature: int, v: Volume4D) -> None:
        self.vol_op.append(op)
        self.feature.append(feature)
        self.starts.append(v.time.start)
        self.ends.append(v.time.end)
        self.lo.append(v.altitude.lower_m)
        self.hi.append(v.altitude.upper_m)
        self.first_vertex.append(len(self.lons))
        append_footprint(v.footprint, self.radius, self.vertex_count, self.lons, self.lats)

    def add_operation(self, op: Operation, feature: int = -1) -> int:
        k = len(self.op_ids)
        self.op_ids.append(op.id)
        self.parties.append(op.party)
        self.priorities.append(op.priority)
        self.states.append(op.state)
        for v in op.volumes:
            self.add_volume(k, feature, v)
        return k

    @classmethod
    def of(cls, operations: list[Operation]) -> PlanColumns:
        cols = cls()
        for op in operations:
            cols.add_operation(op)
        return cols

    @cached_property
    def arrays(self) -> VolumeArrays:
        return self.bulk if self.bulk is not None else VolumeArrays.of(self)

    def feature_of(self, v: int) -> int:
        """Index of volume ``v``'s feature in the file (-1: none)."""
        return int(self.bulk.feature[v]) if self.bulk is not None else self.feature[v]

    def ring(self, v: int) -> tuple[tuple[float, float], ...]:
        """A polygon volume's vertices as (lon, lat) pairs."""
        if self.bulk is not None:
            b = self.bulk
            start = int(b.first_vertex[v])
            end = start + int(b.vertex_count[v])
            lons, lats = b.lons[start:end].tolist(), b.lats[start:end].tolist()
            return tuple(zip(lons, lats, strict=True))
        start = self.first_vertex[v]
        end = start + self.vertex_count[v]
        return tuple(zip(self.lons[start:end], self.lats[start:end], strict=True))

    def footprint(self, v: int) -> Footprint:
        """The validated domain footprint of volume ``v`` (raises ``InvalidInput``)."""
        if self.bulk is not None:
            b = self.bulk
            start = int(b.first_vertex[v])
            if b.radius[v] > 0.0:
                return Circle(float(b.lons[start]), float(b.lats[start]), float(b.radius[v]))
            return Polygon(self.ring(v))
        start = self.first_vertex[v]
        if self.radius[v] > 0.0:
            return Circle(self.lons[start], self.lats[start], self.radius[v])
        return Polygon(self.ring(v))

    def volume(self, v: int, footprint: Footprint | None = None) -> Volume4D:
        if self.bulk is not None:
            b = self.bulk
            return Volume4D(
                footprint or self.footprint(v),
                AltitudeBand(float(b.lo[v]), float(b.hi[v])),
                TimeWindow(EPOCH + int(b.t0_us[v]) * ONE_US, EPOCH + int(b.t1_us[v]) * ONE_US),
            )
        return Volume4D(
            footprint or self.footprint(v),
            AltitudeBand(self.lo[v], self.hi[v]),
            TimeWindow(self.starts[v], self.ends[v]),
        )

    def operation(self, k: int, volumes: tuple[Volume4D, ...]) -> Operation:
        return Operation(
            self.op_ids[k], self.parties[k], self.priorities[k], self.states[k], volumes
        )


@dataclass(frozen=True)
class VolumeArrays:
    """The numeric columns as NumPy arrays, for vectorised filters."""

    op: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    radius: np.ndarray
    first_vertex: np.ndarray
    vertex_count: np.ndarray
    lons: np.ndarray
    lats: np.ndarray
    t0_us: np.ndarray
    t1_us: np.ndarray
    """Start and end in integer microseconds since the epoch (``t0``, ``t1``: seconds)."""
    feature: np.ndarray
    """Index of each volume's feature in the file (-1: none)."""

    @classmethod
    def of(cls, c: PlanColumns) -> VolumeArrays:
        t0_us = np.array([micros(t) for t in c.starts], dtype=np.int64)
        t1_us = np.array([micros(t) for t in c.ends], dtype=np.int64)
        return cls(
            op=np.asarray(c.vol_op, dtype=np.int64),
            t0=t0_us / 1e6,
            t1=t1_us / 1e6,
            lo=np.asarray(c.lo, dtype=np.float64),
            hi=np.asarray(c.hi, dtype=np.float64),
            radius=np.asarray(c.radius, dtype=np.float64),
            first_vertex=np.asarray(c.first_vertex, dtype=np.int64),
            vertex_count=np.asarray(c.vertex_count, dtype=np.int64),
            lons=np.asarray(c.lons, dtype=np.float64),
            lats=np.asarray(c.lats, dtype=np.float64),
            t0_us=t0_us,
            t1_us=t1_us,
            feature=np.asarray(c.feature, dtype=np.int64),
        )

    @classmethod
    def concatenate(cls, parts: list[VolumeArrays]) -> VolumeArrays:
        """Parts read separately, as one plan: vertex offsets are shifted, the rest
        (operation and feature numbers included) is taken as given."""
        if not parts:
            return cls.of(PlanColumns())
        shift = np.cumsum([0] + [len(p.lons) for p in parts[:-1]])
        columns = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in cls.__dataclass_fields__
            if name != "first_vertex"
        }
        first = np.concatenate([p.first_vertex + s for p, s in zip(parts, shift, strict=True)])
        return cls(first_vertex=first, **columns)
