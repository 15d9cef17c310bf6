"""Requests per second per token subject and per client address, in this process.

A token bucket per key: it holds up to ``burst`` requests and refills at ``rps`` a
second; a request takes one, and finds none only when its key has sent faster than
``rps`` for longer than the burst lasts. A bucket is two floats updated in place under
one lock, so a request that passes costs a dictionary look-up and a few arithmetic
operations (``bench/rate_limits.py`` measures it). A sliding window would need the
times of the window's requests; a bucket needs none of them.

The buckets live in this process's memory, as the heavy-request gate and the probe
budget do (``admission.py``): with several replicas behind a load balancer, each
counts what reaches it, so a client spread over N replicas gets N times the rate. A
deployment that needs one figure across replicas enforces it at the load balancer,
or divides the rates by the number of replicas.

Memory is bounded: past ``max_tracked`` keys, the buckets that have refilled (idle
keys, indistinguishable from new ones) are forgotten; if none has, a newcomer shares
one overflow bucket with the other newcomers until some do, so a flood of distinct
addresses costs it and them, not the memory or the keys already known.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter

from deconflict.errors import RateLimited
from deconflict.settings import RateLimitSettings

OVERFLOW_KEY = "*"
"""The bucket newcomers share while every tracked key is busy."""


class TokenBuckets:
    """One bucket per key; :meth:`take` answers 0 (let in) or the seconds to wait."""

    def __init__(
        self,
        rps: float,
        burst: int,
        max_tracked: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rps = rps
        self.burst = float(burst)
        self.max_tracked = max_tracked
        self.clock = clock
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, at]
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def take(self, key: str) -> float:
        """Take one request from ``key``'s bucket: 0.0 if it had one, else the seconds
        until it will (nothing is taken then)."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_tracked:
                    key = self._room(now, key)
                    bucket = self._buckets.get(key)
                if bucket is None:
                    self._buckets[key] = [self.burst - 1.0, now]
                    return 0.0
            tokens = bucket[0] + (now - bucket[1]) * self.rps
            if tokens > self.burst:
                tokens = self.burst
            bucket[1] = now
            if tokens >= 1.0:
                bucket[0] = tokens - 1.0
                return 0.0
            bucket[0] = tokens
            return (1.0 - tokens) / self.rps

    def _room(self, now: float, key: str) -> str:
        """Forget the full buckets (at most once per refill time, so that a flood of
        newcomers does not make every request sweep); the key to count under."""
        if now >= self._next_sweep:
            full = [
                k
                for k, (tokens, at) in self._buckets.items()
                if tokens + (now - at) * self.rps >= self.burst
            ]
            for k in full:
                del self._buckets[k]
            self._next_sweep = now + min(self.burst / self.rps, 1.0)
        return key if len(self._buckets) < self.max_tracked else OVERFLOW_KEY

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimits:
    """The per-subject and per-address buckets of one service process.

    ``check_address`` runs before anything else of a request (the API's middleware),
    ``check_subject`` once its token is verified (a claimed subject is not charged:
    a forged token naming a party must not spend that party's rate). Both raise
    ``RateLimited`` with the seconds to wait; refusals are counted on ``registry``.
    """

    def __init__(
        self,
        settings: RateLimitSettings,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        on = settings.enabled
        self._subjects = (
            TokenBuckets(
                settings.per_subject_rps, settings.per_subject_burst, settings.max_tracked, clock
            )
            if on and settings.per_subject_rps > 0
            else None
        )
        self._addresses = (
            TokenBuckets(
                settings.per_address_rps, settings.per_address_burst, settings.max_tracked, clock
            )
            if on and settings.per_address_rps > 0
            else None
        )
        self.refused = Counter(
            "deconflict_rate_limited",
            "Requests answered 429 by the per-subject or per-address rate limit.",
            ["limit"],
            registry=registry,
        )

    @property
    def limits_addresses(self) -> bool:
        return self._addresses is not None

    def check_address(self, address: str) -> None:
        if self._addresses is None:
            return
        wait = self._addresses.take(address)
        if wait:
            self._refuse("address", wait, f"client address {address}", "PER_ADDRESS_RPS")

    def check_subject(self, subject: str) -> None:
        if self._subjects is None:
            return
        wait = self._subjects.take(subject)
        if wait:
            self._refuse("subject", wait, f"token subject {subject!r}", "PER_SUBJECT_RPS")

    def _refuse(self, limit: str, wait: float, who: str, setting: str) -> None:
        self.refused.labels(limit).inc()
        rps = self.settings.per_address_rps if limit == "address" else self.settings.per_subject_rps
        retry = max(1, math.ceil(wait))
        raise RateLimited(
            f"too many requests from {who}: more than {rps:g} a second "
            f"(DECONFLICT_RATE_LIMITS__{setting}); retry in {retry} s",
            retry,
        )
