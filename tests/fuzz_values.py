"""Hypothesis strategies for malformed and borderline input (issue 16's parser fuzzing).

Each field of a well-formed body is either drawn well-formed, replaced by a value of
the wrong kind or at an edge (huge, tiny, out of range, empty), or left out, so that
the fuzzers reach every rule of the parsers rather than failing at the first brace.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

MISSING = object()
"""A field left out of its object."""

edge_numbers = st.sampled_from(
    [
        0,
        -0.0,
        1,
        -1,
        1e-320,
        5e-324,
        1e-9,
        1e308,
        -1e308,
        2**63,
        -(2**63),
        2**70,
        90.0,
        90.0000001,
        -90.0,
        180.0,
        180.0000001,
        -180.0,
        1e6,
        10_000_001.0,
    ]
)
wrong_kinds = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=12),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**70), 2**70), edge_numbers
)
times = st.one_of(
    st.sampled_from(
        [
            "2030-07-01T10:00:00Z",
            "2030-07-01T10:30:00Z",
            "2030-07-01T10:00:00+14:00",
            "2030-07-01T10:00:00",
            "2030-07-01",
            "2030-02-30T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "2030-07-01T10:00:00.1234567890Z",
            "",
            "now",
            "[/red]",
        ]
    ),
    st.text(max_size=30),
)


def maybe(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any] = wrong_kinds) -> Any:
    """Mostly the valid value (13 in 15); else a wrong or edge one, or the field left
    out: a body of a dozen fields is then wholly valid about one time in five, so that
    the fuzzers also reach the checks that run after parsing."""
    return st.sampled_from([*["valid"] * 13, "odd", "missing"]).flatmap(
        lambda k: odd if k == "odd" else st.just(MISSING) if k == "missing" else valid
    )


def without_missing(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not MISSING}


lons = st.one_of(st.floats(-180.0, 180.0), st.sampled_from([-180.0, 180.0, 0.0]), numbers)
lats = st.one_of(st.floats(-90.0, 90.0), st.sampled_from([-90.0, 90.0, 89.9999999]), numbers)


PLACES = [
    (0.0, 0.0),
    (180.0, 0.0),
    (-180.0, 30.0),
    (45.0, 89.995),
    (45.0, -89.995),
    (0.0, 90.0),
    (0.0, -90.0),
    (7.0, 46.0),
]


@st.composite
def positions(draw: st.DrawFn, near: tuple[float, float], jitter: float = 0.01) -> Any:
    """A position within ``jitter`` degrees of ``near``; now and then a wrong one."""
    lon, lat = near
    valid = [
        lon + draw(st.floats(-jitter, jitter)),
        max(-90.0, min(90.0, lat + draw(st.floats(-jitter / 2, jitter / 2)))),
    ]
    odd = st.lists(st.one_of(lons, lats), min_size=0, max_size=3)
    return draw(maybe(st.just(valid), odd).filter(lambda p: p is not MISSING))


@st.composite
def rings(draw: st.DrawFn, near: tuple[float, float]) -> Any:
    """A star-shaped ring around ``near`` (simple, so often valid), now and then with
    a wrong vertex, and closed or not."""
    lon, lat = near
    n = draw(st.integers(3, 8))
    start = draw(st.floats(0.0, 6.283))
    ring = []
    for k in range(n):
        a = start + 6.283 * k / n
        r = draw(st.floats(0.0005, 0.01))
        ring.append(draw(positions((lon + r * math.cos(a), lat + 0.5 * r * math.sin(a)), 0.0)))
    if ring and draw(st.booleans()):
        ring.append(ring[0])
    return ring
