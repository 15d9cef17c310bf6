"""Statements the service signs with its audit key: checkpoints and receipts.

A signed statement is the JSON object ``{"statement": {...}, "key": <key id>, "sig":
<Ed25519 signature, base64url>}``; the signature covers the canonical JSON of
``statement`` (keys sorted at every level, no whitespace, UTF-8), so any JSON library
and any Ed25519 implementation can check it.

- A **checkpoint** is what a party keeps of the log: the chain head's hash, and the
  head of the party's own chain (its entry count and the last entry's ``leaf``), at a
  time. The global ``seq`` is left out: it would tell every party how much all the
  others did. ``audit verify --checkpoint`` finds the hash in the log (it is unique);
  ``audit check --checkpoint`` holds the party's export against its own head.
- A **receipt** says what the service accepted from a party, and when: the audit
  entries the write appended (in the clear: they are the party's own). The chain is
  linked after the commit, so no position can be promised at write time; instead the
  service commits to entries that ``audit check-receipt`` must later find in the chain
  (or, for a moment, pending), appended no later than the receipt's time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconflict.audit.entry import AuditEntry, ChainHead, PartyHead
from deconflict.audit.keys import AuditKey, b64url, key_id, unb64url
from deconflict.errors import BadStatement

CHECKPOINT = "deconflict.audit.checkpoint"
RECEIPT = "deconflict.audit.receipt"


def canonical(value: Mapping[str, Any]) -> bytes:
    return orjson.dumps(dict(value), option=orjson.OPT_SORT_KEYS)


def sign(key: AuditKey, statement: Mapping[str, Any]) -> dict[str, Any]:
    return {"statement": dict(statement), "key": key.key_id, "sig": key.sign(canonical(statement))}


def checked(signed: object, public: Ed25519PublicKey, expected_type: str) -> dict[str, Any]:
    """The statement of ``signed`` once its signature and type are right."""
    if not isinstance(signed, dict):
        raise BadStatement("a signed statement is a JSON object")
    statement, sig = signed.get("statement"), signed.get("sig")
    if not isinstance(statement, dict) or not isinstance(sig, str):
        raise BadStatement("a signed statement has a 'statement' object and a 'sig' string")
    if signed.get("key") != key_id(public):
        raise BadStatement(
            f"signed with key {signed.get('key')!r}, not the given key {key_id(public)!r}"
        )
    try:
        public.verify(unb64url(sig), canonical(statement))
    except (InvalidSignature, ValueError):
        raise BadStatement("the signature does not match the statement") from None
    if statement.get("type") != expected_type:
        raise BadStatement(f"a {statement.get('type')!r}, not a {expected_type!r}")
    return statement


def checkpoint(key: AuditKey, at_us: int, head: ChainHead, party: PartyHead) -> dict[str, Any]:
    return sign(
        key,
        {
            "type": CHECKPOINT,
            "at_us": at_us,
            "chain": {"hash": head.hash},
            "party": {"subject": party.subject, "seq": party.seq, "leaf": party.leaf},
        },
    )


def receipt_claim(entry: AuditEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "actor": entry.actor,
        "subject": entry.subject,
        "object_kind": entry.object_kind,
        "object_id": entry.object_id,
        "detail": dict(entry.detail),
    }


def receipt(key: AuditKey, at_us: int, party: str, entries: Sequence[AuditEntry]) -> dict[str, Any]:
    return sign(
        key,
        {
            "type": RECEIPT,
            "at_us": at_us,
            "party": party,
            "entries": [receipt_claim(e) for e in entries],
        },
    )


def to_header(signed: Mapping[str, Any]) -> str:
    """A signed statement as one header value (base64url of its JSON)."""
    return b64url(canonical(signed))


def parse(text: bytes) -> object:
    """A signed statement from a file: its JSON, or a header value as sent."""
    stripped = text.strip()
    if stripped.startswith(b"{"):
        return orjson.loads(stripped)
    try:
        return orjson.loads(unb64url(stripped.decode("ascii")))
    except (ValueError, orjson.JSONDecodeError):
        raise BadStatement("neither JSON nor a base64url receipt header") from None
