"""Conflict reports: which volumes overlap, when, at what altitudes and where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deconflict.core.rules import Reason, Verdict
from deconflict.errors import InternalError
from deconflict.geo.overlap import Overlap, overlap
from deconflict.geo.volume import Volume4D
from deconflict.model.operation import Operation
from deconflict.model.times import rfc3339


@dataclass(frozen=True)
class VolumeOverlap:
    """Volume ``a_index`` of operation a overlaps volume ``b_index`` of operation b."""

    a_index: int
    b_index: int
    overlap: Overlap


@dataclass(frozen=True)
class OperationConflict:
    """Two operations whose volumes overlap, and what the rules make of it (the verdict).

    Named for what it pairs, beside ``ConstraintConflict`` (an operation and a
    constraint), and apart from the F3548 error ``errors.Conflict``.
    """

    a: Operation
    b: Operation
    overlaps: tuple[VolumeOverlap, ...]
    verdict: Verdict
    reason: Reason

    def to_json(self, geometry: bool = True) -> dict[str, Any]:
        """The wire form shared by the CLI and the API (ids ordered so that a < b);
        ``geometry=False`` leaves the overlaps' drawings out (the check's table)."""
        a, b, swap = (self.a, self.b, False) if self.a.id < self.b.id else (self.b, self.a, True)
        return {
            "a": a.id,
            "b": b.id,
            "party_a": a.party,
            "party_b": b.party,
            "priority_a": a.priority,
            "priority_b": b.priority,
            "verdict": self.verdict.value,
            "reason": self.reason.value,
            "overlaps": [
                overlap_json(o, swap, geometry)
                for o in sorted(
                    self.overlaps,
                    key=lambda o: (o.b_index, o.a_index) if swap else (o.a_index, o.b_index),
                )
            ],
        }


def overlap_json(o: VolumeOverlap, swap: bool = False, geometry: bool = True) -> dict[str, Any]:
    return {
        "volume_a": o.b_index if swap else o.a_index,
        "volume_b": o.a_index if swap else o.b_index,
        **where_and_when(o.overlap, geometry),
    }


def where_and_when(ov: Overlap, geometry: bool = True) -> dict[str, Any]:
    """The wire form of an overlap, shared by every report, response and notice
    (``geometry=False``: without its drawing)."""
    out = {
        "time_start": rfc3339(ov.time.start),
        "time_end": rfc3339(ov.time.end),
        "altitude_lower_m": ov.altitude.lower_m,
        "altitude_upper_m": ov.altitude.upper_m,
        "area_m2": ov.area_m2,
    }
    if geometry:
        if not ov.geometry:
            # Computed with draw=False, for a report that shows no geometry: a form
            # that shows it must never go out without it.
            raise InternalError("an overlap computed without its drawing reached a report of it")
        out["geometry"] = ov.geometry
    return out


def volume_overlaps(
    a: tuple[Volume4D, ...], b: tuple[Volume4D, ...], pairs: list[tuple[int, int]] | None = None
) -> tuple[VolumeOverlap, ...]:
    """Every overlapping volume pair of two operations (optionally only ``pairs``)."""
    todo = pairs if pairs is not None else [(i, j) for i in range(len(a)) for j in range(len(b))]
    found = []
    for i, j in todo:
        ov = overlap(a[i], b[j])
        if ov is not None:
            found.append(VolumeOverlap(i, j, ov))
    return tuple(found)
