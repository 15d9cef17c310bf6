"""Checking a chain: the first entry that was altered, removed, inserted or moved.

Each entry is checked twice: against its own hash (its content, ``seq`` and
``prev_hash`` as stored) and against its predecessor (its ``prev_hash`` must be the
hash of the entry before it). When one fails, where the entry's ``prev_hash`` points
tells what happened: to the entry two places back, so one was inserted between; to
an entry elsewhere, so entries were moved; to nothing, so the entry (or its
predecessor, rewritten with a fresh hash) was altered. The head, kept apart from the
entries, catches entries cut off the end and entries added past it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from deconflict.audit.chain import leaf_of, recomputed
from deconflict.audit.entry import GENESIS, ChainedEntry, ChainHead, PartyHead


class FaultKind(StrEnum):
    ALTERED = "altered"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    seq: int
    """The first entry found wrong."""
    message: str


@dataclass(frozen=True)
class Verdict:
    checked: int
    """Entries checked before the first fault (all of them when there is none)."""
    head: ChainHead
    fault: Fault | None = None
    parties: dict[str, PartyHead] = field(default_factory=dict)
    """The end of each subject's own chain, as the entries checked give it."""

    @property
    def ok(self) -> bool:
        return self.fault is None


Locate = Callable[[str], int | None]
"""The ``seq`` of the stored entry with a given hash, if any."""


def verify_chain(entries: Iterable[ChainedEntry], head: ChainHead, locate: Locate) -> Verdict:
    """Check ``entries`` (in ``seq`` order) against each other and against ``head``."""
    expected, prev, checked = 1, GENESIS, 0
    parties: dict[str, PartyHead] = {}
    for c in entries:
        leaf = leaf_of(c)
        fault = (
            _missing(expected, c.seq, head)
            or _check(c, prev, head, locate, leaf)
            or _party_link(c, leaf, parties)
        )
        if fault is not None:
            return Verdict(checked, head, fault, parties)
        prev, expected, checked = c.hash, c.seq + 1, checked + 1
    last = expected - 1
    if last < head.seq:
        span = f"seq {expected}" if expected == head.seq else f"seq {expected} to {head.seq}"
        message = f"entries {span} are missing: the log ends at seq {last}, the head at {head.seq}"
        return Verdict(checked, head, Fault(FaultKind.MISSING, expected, message), parties)
    if prev != head.hash:
        message = (
            f"entry seq {last} does not match the chain head: it was rewritten "
            "with a new hash, or the head was altered"
        )
        return Verdict(checked, head, Fault(FaultKind.ALTERED, last, message), parties)
    return Verdict(checked, head, parties=parties)


def _party_link(c: ChainedEntry, leaf: str | None, parties: dict[str, PartyHead]) -> Fault | None:
    """A salted entry must continue its subject's own chain (and so advance it)."""
    if leaf is None:
        return None
    subject = c.entry.subject
    before = parties.get(subject) or PartyHead(subject, 0, GENESIS)
    if (c.party_seq, c.party_prev) != (before.seq + 1, before.leaf):
        return Fault(
            FaultKind.ALTERED,
            c.seq,
            f"entry seq {c.seq} does not continue the own chain of {subject!r} "
            f"(it says entry {c.party_seq} of it, after {str(c.party_prev)[:12]}; "
            f"expected entry {before.seq + 1}, after {before.leaf[:12]})",
        )
    parties[subject] = PartyHead(subject, before.seq + 1, leaf)
    return None


def _missing(expected: int, seq: int, head: ChainHead) -> Fault | None:
    if seq == expected:
        return None
    if expected > head.seq:
        return None  # past the head: reported as inserted by _check
    span = f"seq {expected}" if seq == expected + 1 else f"seq {expected} to {seq - 1}"
    return Fault(FaultKind.MISSING, expected, f"entry {span} is missing (the log goes on at {seq})")


def _check(
    c: ChainedEntry, prev: str, head: ChainHead, locate: Locate, leaf: str | None
) -> Fault | None:
    s = c.seq
    if s > head.seq:
        return Fault(
            FaultKind.INSERTED, s, f"entry seq {s} is past the chain head (seq {head.seq})"
        )
    intact = recomputed(c, leaf) == c.hash
    if intact and c.prev_hash == prev:
        return None
    if not intact and c.prev_hash == prev:
        return Fault(FaultKind.ALTERED, s, f"entry seq {s} was altered: it does not match its hash")
    points_to = 0 if c.prev_hash == GENESIS else locate(c.prev_hash)
    if points_to is not None and points_to == s - 2:
        return Fault(
            FaultKind.INSERTED,
            s - 1,
            f"entry seq {s - 1} was inserted: seq {s} was chained right after seq {s - 2}",
        )
    if points_to is not None:
        return Fault(
            FaultKind.REORDERED,
            s,
            f"entry seq {s} is out of order: it was chained after the entry now at seq {points_to}",
        )
    if intact:
        return Fault(
            FaultKind.ALTERED,
            s - 1,
            f"entry seq {s - 1} was altered: seq {s} was chained to a different hash",
        )
    return Fault(FaultKind.ALTERED, s, f"entry seq {s} was altered: it does not match its hash")
