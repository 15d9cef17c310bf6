"""Token buckets per key: a burst, then the refill rate; bounded memory."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from deconflict.errors import RateLimited
from deconflict.service.rate_limits import OVERFLOW_KEY, RateLimits, TokenBuckets
from deconflict.settings import RateLimitSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_burst_then_waits_for_the_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(rps=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(0.5)


def test_a_refused_request_takes_nothing() -> None:
    clock = Clock()
    buckets = TokenBuckets(rps=1.0, burst=1, clock=clock)
    buckets.take("a")
    for _ in range(10):
        buckets.take("a")
    clock.now += 1.0
    assert buckets.take("a") == 0.0


def test_the_refill_stops_at_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(rps=10.0, burst=2, clock=clock)
    buckets.take("a")
    clock.now += 3600
    assert [buckets.take("a") > 0 for _ in range(3)] == [False, False, True]


def test_keys_have_their_own_buckets() -> None:
    buckets = TokenBuckets(rps=1.0, burst=1, clock=Clock())
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0.0


def test_past_the_bound_idle_keys_are_forgotten() -> None:
    clock = Clock()
    buckets = TokenBuckets(rps=1.0, burst=1, max_tracked=2, clock=clock)
    buckets.take("a")
    buckets.take("b")
    clock.now += 5  # both refilled: as good as new
    assert buckets.take("c") == 0.0
    assert len(buckets) == 1


def test_past_the_bound_with_no_idle_key_newcomers_share_one_bucket() -> None:
    clock = Clock()
    buckets = TokenBuckets(rps=1.0, burst=1, max_tracked=2, clock=clock)
    buckets.take("a")
    buckets.take("b")
    assert buckets.take("c") == 0.0  # the overflow bucket's one request
    assert buckets.take("d") > 0  # shares it with c
    assert OVERFLOW_KEY in buckets._buckets and "d" not in buckets._buckets
    assert buckets.take("a") > 0  # the known keys keep their own


def test_a_refusal_names_the_setting_and_is_counted() -> None:
    registry = CollectorRegistry()
    limits = RateLimits(
        RateLimitSettings(per_subject_rps=0.5, per_subject_burst=1), registry, Clock()
    )
    limits.check_subject("alpha")
    with pytest.raises(RateLimited) as caught:
        limits.check_subject("alpha")
    assert caught.value.retry_after_s == 2
    assert "DECONFLICT_RATE_LIMITS__PER_SUBJECT_RPS" in str(caught.value)
    assert registry.get_sample_value("deconflict_rate_limited_total", {"limit": "subject"}) == 1


def test_a_rate_of_zero_turns_that_limit_off() -> None:
    limits = RateLimits(
        RateLimitSettings(per_address_rps=0, per_subject_rps=0.001, per_subject_burst=1),
        CollectorRegistry(),
        Clock(),
    )
    assert not limits.limits_addresses
    for _ in range(5):
        limits.check_address("10.0.0.1")
    limits.check_subject("alpha")
    with pytest.raises(RateLimited):
        limits.check_subject("alpha")


def test_disabled_limits_let_everything_in() -> None:
    off = RateLimitSettings(
        enabled=False, per_subject_rps=0.001, per_subject_burst=1, per_address_burst=1
    )
    limits = RateLimits(off, CollectorRegistry(), Clock())
    for _ in range(5):
        limits.check_subject("alpha")
        limits.check_address("10.0.0.1")


def test_the_defaults_let_in_a_second_of_the_benchmarks_load_from_one_address() -> None:
    """bench/api_load.py drives about 600 creations a second from one address and one
    token; the defaults must never refuse it (nor the test suite)."""
    clock = Clock()
    limits = RateLimits(RateLimitSettings(), CollectorRegistry(), clock)
    for _ in range(10):  # ten seconds at 1,000 requests a second
        for _ in range(1000):
            limits.check_address("127.0.0.1")
            limits.check_subject("bench")
        clock.now += 1.0
