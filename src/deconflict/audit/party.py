"""What a party can check with what it holds: its export, its checkpoints, its receipts.

No database and no service: a party that distrusts the operator runs these on its own
files (``deconflict audit check --checkpoint``, ``deconflict audit check-receipt
--export``). The operator's side of the same checks, against the database, is in
``store.audit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from deconflict.audit.chain import record_is_intact
from deconflict.audit.entry import GENESIS
from deconflict.audit.statements import parse


def read_signed(text: bytes) -> list[object]:
    """The signed statements of a file: one JSON document, or one per line (a saved
    ``audit.checkpoint`` event, its ``data``, an SSE ``data:`` line or a receipt
    header value are all accepted)."""
    stripped = text.strip()
    if stripped.startswith(b"{") and b"\n" in stripped:
        try:
            return [_unwrap(orjson.loads(stripped))]
        except orjson.JSONDecodeError:
            pass  # JSON Lines
    found: list[object] = []
    for line in stripped.splitlines():
        line = line.strip()
        if line.startswith(b"data:"):
            line = line[5:].strip()
        if line and not line.startswith((b"event:", b"id:", b":")):
            found.append(_unwrap(parse(line)))
    return found


def _unwrap(doc: object) -> object:
    if isinstance(doc, dict) and "statement" not in doc and isinstance(doc.get("data"), dict):
        return doc["data"]
    return doc


def export_problem(
    records: Sequence[Mapping[str, Any]], checkpoints: Iterable[dict[str, Any]]
) -> str | None:
    """The first reason ``records`` (one party's export, oldest first) is not the whole,
    unaltered record the checkpoints vouch for; None when it is.

    Each salted record must match its leaf and continue the party's own chain (``seq``
    1, 2, ... each ``prev`` the leaf before); each checkpoint of this party names an
    entry count and the last leaf, which the export must hold at that place: an export
    shorter than a checkpoint lost entries, another leaf there means a rewrite.
    """
    leaves: dict[int, str] = {}
    subject: str | None = None
    prev, expected = GENESIS, 1
    for number, record in enumerate(records, 1):
        if not record_is_intact(record):
            return f"line {number} (seq {record.get('seq', '?')}) does not match its hash"
        if "salt" not in record:
            continue  # logged before per-party chains: checked alone
        subject = record.get("subject") if subject is None else subject
        if record.get("subject") != subject:
            return f"line {number} is about {record.get('subject')!r}, not {subject!r}"
        if record.get("seq") != expected or record.get("prev") != prev:
            return (
                f"line {number} is entry {record.get('seq')} of the party's chain, "
                f"expected entry {expected} after leaf {prev[:12]}: entries are missing "
                "or were moved"
            )
        leaves[expected] = str(record["leaf"])
        prev, expected = str(record["leaf"]), expected + 1
    for cp in checkpoints:
        party = cp.get("party") or {}
        if subject is not None and party.get("subject") != subject:
            return f"a checkpoint is for {party.get('subject')!r}, the export for {subject!r}"
        seq, leaf = int(party.get("seq", 0)), party.get("leaf")
        if seq == 0:
            continue
        if seq not in leaves:
            return (
                f"the checkpoint of at_us {cp.get('at_us')} vouches for {seq} entries, the "
                f"export holds {expected - 1}: entries were removed (truncated)"
            )
        if leaves[seq] != leaf:
            return (
                f"entry {seq} of the export is not the one the checkpoint of at_us "
                f"{cp.get('at_us')} vouches for: the history was rewritten"
            )
    return None


def claim_matches(claim: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """Whether an entry (its kind, actor, subject, object and detail) is the one a
    receipt's claim describes."""
    return all(
        fields.get(k) == claim.get(k)
        for k in ("kind", "actor", "subject", "object_kind", "object_id", "detail")
    )


def receipt_in_export(
    receipt: Mapping[str, Any], records: Sequence[Mapping[str, Any]]
) -> list[str]:
    """The receipt's claims the export has no entry for (appended by the receipt's time)."""
    at_us = int(receipt.get("at_us", 0))
    missing = []
    for claim in receipt.get("entries", []):
        if not any(claim_matches(claim, r) and int(r.get("at_us", 0)) <= at_us for r in records):
            missing.append(describe(claim))
    return missing


def describe(claim: Mapping[str, Any]) -> str:
    detail = claim.get("detail") or {}
    change = detail.get("change") or detail.get("action") or claim.get("kind")
    return f"{claim.get('object_kind')} {claim.get('object_id')!r} {change}"


CHECKPOINT_EVENT = "audit.checkpoint"


def checkpoints_in_stream(text: str) -> list[dict[str, Any]]:
    """The signed checkpoints of a party's event stream as read (``GET /v1/events``,
    Server-Sent Events): the ``data`` of each ``audit.checkpoint`` event."""
    found = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.removeprefix(" ")
        if fields.get("event") == CHECKPOINT_EVENT and "data" in fields:
            payload = orjson.loads(fields["data"])
            if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
                found.append(payload["data"])
    return found
