"""Hashing entries into a chain: the one definition of what an entry's hash covers.

The hash is SHA-256 (hex) of the canonical JSON of the object

    {"actor", "at_us", "detail", "kind", "object_id", "object_kind", "prev", "seq",
     "subject"}

with keys sorted at every level, no whitespace, UTF-8 (orjson's output with sorted
keys). ``prev`` is the previous entry's hash, so changing, removing, inserting or
moving any entry changes every hash after it. A party holding an exported line can
recompute its hash with any JSON library: drop ``hash`` and ``at``, sort, hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from deconflict.audit.entry import AuditEntry, ChainedEntry, ChainHead, PendingEntry
from deconflict.model.times import rfc3339

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def canonical_detail(detail: Mapping[str, Any]) -> str:
    """The stored text of a detail: the same bytes for the same content."""
    return orjson.dumps(dict(detail), option=orjson.OPT_SORT_KEYS).decode()


def hashed_fields(entry: AuditEntry, at_us: int, seq: int, prev_hash: str) -> dict[str, Any]:
    """Exactly the fields the hash covers, as a JSON object."""
    return {
        "actor": entry.actor,
        "at_us": at_us,
        "detail": dict(entry.detail),
        "kind": entry.kind,
        "object_id": entry.object_id,
        "object_kind": entry.object_kind,
        "prev": prev_hash,
        "seq": seq,
        "subject": entry.subject,
    }


def entry_hash(entry: AuditEntry, at_us: int, seq: int, prev_hash: str) -> str:
    body = orjson.dumps(hashed_fields(entry, at_us, seq, prev_hash), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def recomputed(c: ChainedEntry) -> str:
    """The hash ``c`` should carry given its own content, seq and ``prev_hash``."""
    return entry_hash(c.entry, c.at_us, c.seq, c.prev_hash)


def link(head: ChainHead, pending: Sequence[PendingEntry]) -> list[ChainedEntry]:
    """Chain ``pending`` (in the given order) after ``head``."""
    chained: list[ChainedEntry] = []
    seq, prev = head.seq, head.hash
    for p in pending:
        seq += 1
        h = entry_hash(p.entry, p.at_us, seq, prev)
        chained.append(ChainedEntry(seq, p.at_us, p.entry, prev, h))
        prev = h
    return chained


def export_record(c: ChainedEntry) -> dict[str, Any]:
    """An entry as a party receives it: the hashed fields, the hash, and ``at`` (the
    same instant as ``at_us``, readable; not hashed)."""
    record = hashed_fields(c.entry, c.at_us, c.seq, c.prev_hash)
    record["hash"] = c.hash
    record["at"] = rfc3339(_EPOCH + timedelta(microseconds=c.at_us))
    return record


def record_is_intact(record: Mapping[str, Any]) -> bool:
    """Whether an exported record still matches its own hash (what a party can check
    without the service; that it is still *in* the chain takes ``audit verify``)."""
    hashed = {k: v for k, v in record.items() if k not in ("hash", "at")}
    body = orjson.dumps(hashed, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest() == record.get("hash")
