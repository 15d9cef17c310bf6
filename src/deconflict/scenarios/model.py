"""What a scenario is: planning steps in story order, then flights to replay live.

A scenario is data, not a script, so the same story can be played against a service
(``deconflict scenario run``), by the demo in a loop, and by the tests with a fake
clock, and so the tests can hold the story to what it claims (this plan is rejected,
that one is accepted with a notice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

EARTH_M_PER_DEG = 111_320.0
"""Metres per degree of latitude; good enough to derive a velocity from two fixes a few
seconds apart, which is all the flights need it for."""


class Expect(StrEnum):
    """The outcome a planning step is written to produce."""

    ACCEPTED = "accepted"
    """Accepted, no overlap with anything."""
    NOTICE = "notice"
    """Accepted, but it overlaps a lower-priority operation whose party is told."""
    REJECTED = "rejected"
    """Refused for a blocking conflict."""
    ANY = "any"
    """Bulk steps (many deliveries) where some are refused by design."""


@dataclass(frozen=True)
class Plan:
    """``PUT /v1/operations/{op_id}`` by ``party`` with ``body`` (the native wire form)."""

    party: str
    op_id: str
    body: dict[str, Any]
    expect: Expect
    say: str


@dataclass(frozen=True)
class Batch:
    """``POST /v1/operations:batch``: many operations of one party at once."""

    party: str
    operations: list[dict[str, Any]]
    say: str


@dataclass(frozen=True)
class SetState:
    party: str
    op_id: str
    state: str
    say: str


@dataclass(frozen=True)
class Airspace:
    """``PUT /v1/{collection}/{item_id}`` by ``party``: a constraint (a party's own) or
    an agreed zone (only an operator defines those). Replaying replaces it."""

    party: str
    collection: str
    """``constraints`` or ``zones``."""
    item_id: str
    body: dict[str, Any]
    say: str


Step = Plan | Batch | SetState | Airspace


@dataclass(frozen=True)
class Fix:
    """Where an aircraft is ``t_s`` seconds after the live replay starts."""

    t_s: float
    lat: float
    lon: float
    alt_m: float


@dataclass(frozen=True)
class Flight:
    """One aircraft's path, flown by straight segments between fixes."""

    party: str
    track_id: str
    operation: str | None
    fixes: tuple[Fix, ...]
    say: str = ""

    def __post_init__(self) -> None:
        times = [f.t_s for f in self.fixes]
        if len(times) < 2 or times != sorted(times) or len(set(times)) != len(times):
            raise ValueError(f"flight {self.track_id}: at least two fixes, strictly in time")

    @property
    def start_s(self) -> float:
        return self.fixes[0].t_s

    @property
    def end_s(self) -> float:
        return self.fixes[-1].t_s

    def report(self, t_s: float) -> dict[str, Any]:
        """The position report at ``t_s`` (within the flight), without its ``time``.

        Velocity is the current segment's, so a report predicts where the aircraft goes
        next the way a real tracker's would, turns included only once they start.
        """
        k = 0
        while k < len(self.fixes) - 2 and self.fixes[k + 1].t_s <= t_s:
            k += 1
        a, b = self.fixes[k], self.fixes[k + 1]
        f = min(1.0, max(0.0, (t_s - a.t_s) / (b.t_s - a.t_s)))
        lat = a.lat + f * (b.lat - a.lat)
        dt = b.t_s - a.t_s
        cos_lat = math.cos(math.radians(lat))
        out: dict[str, Any] = {
            "id": self.track_id,
            "lat": round(lat, 7),
            "lon": round(a.lon + f * (b.lon - a.lon), 7),
            "alt_m": round(a.alt_m + f * (b.alt_m - a.alt_m), 1),
            "vn_mps": round((b.lat - a.lat) * EARTH_M_PER_DEG / dt, 2),
            "ve_mps": round((b.lon - a.lon) * EARTH_M_PER_DEG * cos_lat / dt, 2),
            "vs_mps": round((b.alt_m - a.alt_m) / dt, 2),
        }
        if self.operation is not None:
            out["operation"] = self.operation
        return out


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    summary: str
    parties: tuple[str, ...]
    steps: tuple[Step, ...]
    flights: tuple[Flight, ...] = ()
    report_interval_s: float = 2.0
    live_until: datetime | None = None
    """When the flown operations' volumes end: looping the flights past it would only
    show aircraft outside their volumes."""
    operation_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each party's operation ids, so a replay can remove them first (``--reset``)."""
    operators: tuple[str, ...] = ()
    """Who plays the service operator (agreed zones, grants): tokens with the admin scope too."""
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What the operator grants a party beyond the defaults before anything is planned
    (``PUT /v1/parties/{party}/grant`` bodies, e.g. ``{"priority_max": 10}``): parties
    do not choose their own priority."""

    @property
    def live_duration_s(self) -> float:
        return max((f.end_s for f in self.flights), default=0.0)

    def timeline(self) -> list[tuple[float, str, list[dict[str, Any]]]]:
        """Every report of every flight: ``(t_s, party, reports)``, one entry per party
        and instant, in time order."""
        if not self.flights:
            return []
        out: list[tuple[float, str, list[dict[str, Any]]]] = []
        n = math.floor(self.live_duration_s / self.report_interval_s + 1e-9)
        for k in range(n + 1):
            t = k * self.report_interval_s
            by_party: dict[str, list[dict[str, Any]]] = {}
            for flight in self.flights:
                if flight.start_s <= t <= flight.end_s:
                    by_party.setdefault(flight.party, []).append(flight.report(t))
            out += [(t, party, reports) for party, reports in sorted(by_party.items())]
        return out
