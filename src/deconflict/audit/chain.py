"""Hashing entries into a chain: the one definition of what an entry's hash covers.

Entries appended before salts were introduced ("version 1") are hashed as SHA-256
(hex) of the canonical JSON of

    {"actor", "at_us", "detail", "kind", "object_id", "object_kind", "prev", "seq",
     "subject"}

with keys sorted at every level, no whitespace, UTF-8 (orjson's output with sorted
keys). ``prev`` is the previous entry's hash, so changing, removing, inserting or
moving any entry changes every hash after it.

Since then ("version 2") an entry is hashed in two steps, so that the party it is
about can check it without learning anything of the others' entries:

- its **leaf** is the SHA-256 of the canonical JSON of
  ``{"actor", "at_us", "detail", "kind", "object_id", "object_kind", "prev", "salt",
  "seq", "subject"}``, where ``salt`` is 128 random bits of its own, and ``seq`` and
  ``prev`` are its place in its *subject's own* chain (the subject's n-th entry; the
  leaf of the subject's entry before it, 64 zeros for the first). This is what a
  party's export carries and what the party recomputes;
- its **hash** (the global chain) is the SHA-256 of the canonical JSON of
  ``{"leaf", "nonce", "prev", "seq"}`` with the global ``seq``, the previous entry's
  hash and a ``nonce`` of 128 random bits that is never exported: the subject knows
  its leaf, and without the nonce it cannot try global positions against the head
  hashes its checkpoints carry.

A neighbour's hash no longer lets a party guess an entry: the salt is never shown to
anyone but the entry's subject. And the subject's own chain lets it see that none of
its entries was removed or changed, holding its export against a signed checkpoint.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from deconflict.audit.entry import (
    GENESIS,
    AuditEntry,
    ChainedEntry,
    ChainHead,
    PartyHead,
    PendingEntry,
)
from deconflict.model.times import rfc3339

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def canonical_detail(detail: Mapping[str, Any]) -> str:
    """The stored text of a detail: the same bytes for the same content."""
    return orjson.dumps(dict(detail), option=orjson.OPT_SORT_KEYS).decode()


def _placed(entry: AuditEntry, at_us: int, **place: Any) -> dict[str, Any]:
    """The entry with its place in a chain (``prev``, ``seq``, ...), keys sorted: the
    order of the hashed JSON, which an exported record keeps too."""
    fields = {
        "actor": entry.actor,
        "at_us": at_us,
        "detail": dict(entry.detail),
        "kind": entry.kind,
        "object_id": entry.object_id,
        "object_kind": entry.object_kind,
        "subject": entry.subject,
        **place,
    }
    return dict(sorted(fields.items()))


def hashed_fields(entry: AuditEntry, at_us: int, seq: int, prev_hash: str) -> dict[str, Any]:
    """Exactly the fields the hash covers, as a JSON object."""
    return _placed(entry, at_us, prev=prev_hash, seq=seq)


def entry_hash(entry: AuditEntry, at_us: int, seq: int, prev_hash: str) -> str:
    body = orjson.dumps(hashed_fields(entry, at_us, seq, prev_hash), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def seal_message(
    at_us: int,
    kind: str,
    actor: str,
    subject: str,
    object_kind: str,
    object_id: str,
    detail_text: str,
    salt: str,
) -> bytes:
    """What a pending entry's seal covers: everything it was appended with, as stored
    (the detail as its canonical text), in a JSON array: unambiguous, and cheap to
    rebuild from a pending row without parsing its detail."""
    return orjson.dumps([at_us, kind, actor, subject, object_kind, object_id, detail_text, salt])


def _sha(value: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(dict(value), option=orjson.OPT_SORT_KEYS)).hexdigest()


def leaf_fields(
    entry: AuditEntry, at_us: int, salt: str, party_seq: int, party_prev: str
) -> dict[str, Any]:
    """Exactly the fields a version-2 leaf covers: the entry as its subject sees it."""
    return _placed(entry, at_us, prev=party_prev, salt=salt, seq=party_seq)


def leaf_hash(entry: AuditEntry, at_us: int, salt: str, party_seq: int, party_prev: str) -> str:
    return _sha(leaf_fields(entry, at_us, salt, party_seq, party_prev))


def link_hash(leaf: str, seq: int, prev_hash: str, nonce: str | None = None) -> str:
    """A version-2 entry's place in the global chain: the SHA-256 of
    ``{"leaf":...,"nonce":...,"prev":...,"seq":...}`` (without ``nonce`` for the entries
    chained before nonces), spelt out directly when no string needs escaping (the same
    bytes orjson writes, for a fraction of the work)."""
    if nonce is None:
        if _plain(leaf) and _plain(prev_hash):
            body = f'{{"leaf":"{leaf}","prev":"{prev_hash}","seq":{int(seq)}}}'
            return hashlib.sha256(body.encode()).hexdigest()
        return _sha({"leaf": leaf, "prev": prev_hash, "seq": seq})
    if _plain(leaf) and _plain(prev_hash) and _plain(nonce):
        body = f'{{"leaf":"{leaf}","nonce":"{nonce}","prev":"{prev_hash}","seq":{int(seq)}}}'
        return hashlib.sha256(body.encode()).hexdigest()
    return _sha({"leaf": leaf, "nonce": nonce, "prev": prev_hash, "seq": seq})


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def leaf_of(c: ChainedEntry) -> str | None:
    """The leaf ``c`` should have given its content (None for a version-1 entry)."""
    if c.salt is None or c.party_seq is None or c.party_prev is None:
        return None
    return leaf_hash(c.entry, c.at_us, c.salt, c.party_seq, c.party_prev)


def recomputed(c: ChainedEntry, leaf: str | None = None) -> str:
    """The hash ``c`` should carry given its own content, seq and ``prev_hash``
    (``leaf``: its leaf, when the caller computed it already)."""
    leaf = leaf if leaf is not None else leaf_of(c)
    if leaf is None:
        return entry_hash(c.entry, c.at_us, c.seq, c.prev_hash)
    return link_hash(leaf, c.seq, c.prev_hash, c.nonce)


def new_nonce() -> str:
    return os.urandom(16).hex()


def link(
    head: ChainHead,
    pending: Sequence[PendingEntry],
    parties: dict[str, PartyHead] | None = None,
    nonce: Callable[[], str] = new_nonce,
) -> list[ChainedEntry]:
    """Chain ``pending`` (in the given order) after ``head``.

    Salted entries also continue their subject's chain from ``parties`` (updated in
    place; a subject not in it starts its chain here); unsalted ones (appended before
    salts existed) are hashed the version-1 way.
    """
    heads = parties if parties is not None else {}
    chained: list[ChainedEntry] = []
    seq, prev = head.seq, head.hash
    for p in pending:
        seq += 1
        if p.salt is None:
            h = entry_hash(p.entry, p.at_us, seq, prev)
            chained.append(ChainedEntry(seq, p.at_us, p.entry, prev, h))
        else:
            subject = p.entry.subject
            ph = heads.get(subject) or PartyHead(subject, 0, GENESIS)
            leaf = leaf_hash(p.entry, p.at_us, p.salt, ph.seq + 1, ph.leaf)
            secret = nonce()
            h = link_hash(leaf, seq, prev, secret)
            n = ph.seq + 1
            chained.append(ChainedEntry(seq, p.at_us, p.entry, prev, h, p.salt, n, ph.leaf, secret))
            heads[subject] = PartyHead(subject, ph.seq + 1, leaf)
        prev = h
    return chained


def export_record(c: ChainedEntry) -> dict[str, Any]:
    """An entry as its subject receives it, with ``at`` (the same instant as ``at_us``,
    readable; not hashed).

    A version-2 entry carries its leaf fields (``seq`` and ``prev`` are its place in
    the subject's own chain) and its ``leaf``, not its global hash: with the global
    hashes of two of its entries a party could try every global ``seq`` and learn
    whether anyone wrote between them, and how much was written in all. The operator
    finds the entry by subject and ``seq``, or by leaf. A version-1 entry carries the
    global ``seq``, ``prev`` and ``hash``, as it always did.
    """
    leaf = leaf_of(c)
    if leaf is None or c.salt is None or c.party_seq is None or c.party_prev is None:
        record = hashed_fields(c.entry, c.at_us, c.seq, c.prev_hash)
        record["hash"] = c.hash
    else:
        record = leaf_fields(c.entry, c.at_us, c.salt, c.party_seq, c.party_prev)
        record["leaf"] = leaf
    record["at"] = rfc3339(_EPOCH + timedelta(microseconds=c.at_us))
    return record


NOT_HASHED = ("hash", "at", "leaf")


def record_is_intact(record: Mapping[str, Any]) -> bool:
    """Whether an exported record still matches its own hash (what a party can check
    without the service): its ``leaf`` for a version-2 record, its ``hash`` for a
    version-1 one. That it is still *in* the chain takes a checkpoint."""
    hashed = {k: v for k, v in record.items() if k not in NOT_HASHED}
    if "salt" in record:
        return _sha(hashed) == record.get("leaf")
    return _sha(hashed) == record.get("hash")
