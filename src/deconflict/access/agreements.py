"""Sharing agreements: what a pair of parties has agreed to show each other.

An agreement is symmetric ("A and B see each other's operation ids and call signs"):
deconfliction between two forces works when both see the same, and a one-way grant
would let the stronger side learn without giving. The service operator records them;
a party cannot grant itself sight of another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from deconflict.errors import InvalidInput


class Grant(StrEnum):
    """One thing a pair of parties agrees to show each other, beyond references."""

    OPERATION_IDS = "operation_ids"
    """Operation ids in references, conflict reports and notices."""
    CALL_SIGNS = "call_signs"
    """The ``call_sign`` of an operation's details (and of its aircraft's tracks)."""
    DETAILS = "details"
    """An operation's private details in full (call signs included)."""
    TELEMETRY = "telemetry"
    """The other party's tracks at all times, not only in conflict or off-nominal."""


def parse_grants(names: Iterable[str]) -> frozenset[Grant]:
    """Grants from their names, with an error that lists the valid ones."""
    out = set()
    for name in names:
        try:
            out.add(Grant(name))
        except ValueError:
            valid = ", ".join(g.value for g in Grant)
            raise InvalidInput("grant", f"{name!r} is not one of: {valid}") from None
    return frozenset(out)


@dataclass(frozen=True)
class Agreement:
    """An unordered pair of distinct parties and what they share."""

    a: str
    b: str
    grants: frozenset[Grant]

    def __post_init__(self) -> None:
        if not self.a or not self.b:
            raise InvalidInput("party", "must not be empty")
        if self.a == self.b:
            raise InvalidInput("party", "an agreement needs two different parties")
        if self.a > self.b:
            # One spelling per pair, so storage and lookups need no second key.
            first, second = self.b, self.a
            object.__setattr__(self, "a", first)
            object.__setattr__(self, "b", second)

    @property
    def pair(self) -> tuple[str, str]:
        return (self.a, self.b)


class Agreements(Mapping[tuple[str, str], frozenset[Grant]]):
    """Every agreement in force, looked up by either order of the pair."""

    def __init__(self, agreements: Iterable[Agreement] = ()) -> None:
        self._by_pair: dict[tuple[str, str], frozenset[Grant]] = {}
        for ag in agreements:
            self._by_pair[ag.pair] = self._by_pair.get(ag.pair, frozenset()) | ag.grants

    def between(self, x: str, y: str) -> frozenset[Grant]:
        return self._by_pair.get((x, y) if x < y else (y, x), frozenset())

    def __getitem__(self, pair: tuple[str, str]) -> frozenset[Grant]:
        return self.between(*pair)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._by_pair)

    def __len__(self) -> int:
        return len(self._by_pair)
