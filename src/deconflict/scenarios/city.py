"""A few hundred drone deliveries over Zurich from three providers in one afternoon.

What it shows is scale and fairness rather than drama: each provider files its
deliveries in batches as orders come in; most are accepted, deliveries that would cross
an earlier one in the same place, height and minutes are refused (equal priority), and
the medical deliveries of one provider (priority 10) are accepted with a notice to
whoever they cross. Strategic only: drones at 30-120 m above the ground need
protected zones of tens of metres, which are a per-party setting of the tactical
detector, not something a scenario should change.

Generated from a fixed seed, so every run is the same story.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from deconflict.model.times import rfc3339
from deconflict.scenarios.model import Batch, Scenario

NAME = "city-deliveries"
PROVIDERS: dict[str, tuple[tuple[float, float], ...]] = {
    # provider: hubs (lat, lon)
    "aerodrop": ((47.3890, 8.5170), (47.3600, 8.5550)),
    "parcelwing": ((47.3770, 8.5400), (47.4000, 8.5480)),
    "hoverpost": ((47.3660, 8.5190), (47.3850, 8.5750)),
}
MEDICAL = "hoverpost"
MEDICAL_PRIORITY = 10
"""What the operator grants the provider that flies medical deliveries."""
OPERATOR = "operator"
"""The service operator, who grants that priority."""
GROUND_W84_M = 460.0
"""Zurich's ground (about 410 m above sea level) plus the geoid there (about 48 m)."""
SPEED_MPS = 15.0
HALF_WIDTH_M = 40.0
M_PER_DEG = 111_320.0
SEGMENT_M = 1000.0
SLACK_S = 30.0
"""Each volume's window is the drone's time in its segment, padded by this on both
sides: flight plans are only as exact as the weather."""
RETURN_AT_S = 1200.0
DEPARTURE_EVERY_S = 240
OUTBOUND_BAND_M = (30.0, 70.0)
RETURN_BAND_M = (80.0, 120.0)


def corridor(
    a: tuple[float, float], b: tuple[float, float], half_width_m: float
) -> list[list[float]]:
    """A rectangle around the segment a-b as a closed GeoJSON ring (lon, lat), CCW."""
    cos_lat = math.cos(math.radians((a[0] + b[0]) / 2))
    dn = (b[0] - a[0]) * M_PER_DEG
    de = (b[1] - a[1]) * M_PER_DEG * cos_lat
    length = math.hypot(dn, de) or 1.0
    # unit normal, pointing left of a->b
    nn, ne = de / length * half_width_m, -dn / length * half_width_m
    dlat, dlon = nn / M_PER_DEG, ne / (M_PER_DEG * cos_lat)
    ring = [
        [a[1] - dlon, a[0] - dlat],
        [b[1] - dlon, b[0] - dlat],
        [b[1] + dlon, b[0] + dlat],
        [a[1] + dlon, a[0] + dlat],
    ]
    area2 = sum(ring[i][0] * ring[i - 1][1] - ring[i - 1][0] * ring[i][1] for i in range(4))
    if area2 > 0:  # clockwise: reverse so the ring winds counter-clockwise
        ring.reverse()
    return [*ring, ring[0]]


def _legs(
    a: tuple[float, float], b: tuple[float, float], start: datetime, band: tuple[float, float]
) -> list[dict[str, Any]]:
    """The flight a->b as a 4D trajectory: one volume per kilometre, each with the
    minutes the drone spends in it. One volume for the whole trip would block its
    corridor for the whole trip, and every delivery from a hub would refuse the next."""
    cos_lat = math.cos(math.radians(a[0]))
    dist = math.hypot((b[0] - a[0]) * M_PER_DEG, (b[1] - a[1]) * M_PER_DEG * cos_lat)
    n = max(1, math.ceil(dist / SEGMENT_M))
    volumes = []
    for i in range(n):
        p = (a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n)
        q = (a[0] + (b[0] - a[0]) * (i + 1) / n, a[1] + (b[1] - a[1]) * (i + 1) / n)
        enter = start + timedelta(seconds=dist * i / n / SPEED_MPS - SLACK_S)
        leave = start + timedelta(seconds=dist * (i + 1) / n / SPEED_MPS + SLACK_S)
        volumes.append(
            {
                "geometry": {"type": "Polygon", "coordinates": [corridor(p, q, HALF_WIDTH_M)]},
                "altitude_lower_m": GROUND_W84_M + band[0],
                "altitude_upper_m": GROUND_W84_M + band[1],
                "time_start": rfc3339(enter),
                "time_end": rfc3339(leave),
            }
        )
    return volumes


def deliveries(
    now: datetime, party: str, hubs: tuple[tuple[float, float], ...], n: int, seed: int
) -> list[dict[str, Any]]:
    """``n`` round trips from ``party``'s hubs to addresses up to 5 km away, in the next
    hours, as ``operations:batch`` items."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        hub = hubs[k % len(hubs)]
        bearing = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(600, 5000)
        dest = (
            hub[0] + dist * math.cos(bearing) / M_PER_DEG,
            hub[1] + dist * math.sin(bearing) / (M_PER_DEG * math.cos(math.radians(hub[0]))),
        )
        # Each hub launches every DEPARTURE_EVERY_S: a provider sequences its own pad.
        slot = (k // len(hubs)) * DEPARTURE_EVERY_S + rng.randrange(0, 40, 10)
        start = now + timedelta(seconds=slot)
        medical = party == MEDICAL and k % 12 == 0
        out_leg = _legs(hub, dest, start, OUTBOUND_BAND_M)
        # Back at the hub RETURN_AT_S after leaving: arrivals keep the departures' spacing.
        back = start + timedelta(seconds=RETURN_AT_S - dist / SPEED_MPS)
        out.append(
            {
                "id": f"{party}-{k + 1:04d}",
                "priority": MEDICAL_PRIORITY if medical else 0,
                "volumes": [*out_leg, *_legs(dest, hub, back, RETURN_BAND_M)],
                "details": {
                    "kind": "medical" if medical else "parcel",
                    "distance_m": round(dist),
                    "hub": list(hub),
                },
            }
        )
    return out


def build(now: datetime, per_provider: int = 100) -> Scenario:
    now = now.astimezone(UTC).replace(microsecond=0)
    orders = {
        party: deliveries(now, party, hubs, per_provider, seed)
        for seed, (party, hubs) in enumerate(PROVIDERS.items())
    }
    # Orders arrive through the afternoon: each provider files a quarter at a time, in turn.
    steps = []
    quarter = max(1, math.ceil(per_provider / 4))
    for k in range(0, per_provider, quarter):
        for party, ops in orders.items():
            steps.append(
                Batch(
                    party,
                    ops[k : k + quarter],
                    f"{party} files deliveries {k + 1}-{min(k + quarter, per_provider)}",
                )
            )
    return Scenario(
        name=NAME,
        title="Drone deliveries over Zurich from three providers",
        summary=(
            f"{3 * per_provider} deliveries in the next hours by aerodrop, parcelwing and "
            "hoverpost; crossings at equal priority are refused, hoverpost's medical "
            "deliveries (priority 10) go through with a notice."
        ),
        parties=tuple(PROVIDERS),
        steps=tuple(steps),
        operation_ids={party: tuple(o["id"] for o in ops) for party, ops in orders.items()},
        operators=(OPERATOR,),
        grants={MEDICAL: {"priority_max": MEDICAL_PRIORITY}},
    )
