"""Signed statements: checked against the audit key, read back however a party saved them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from deconflict.audit.entry import AuditEntry, ChainHead, PartyHead
from deconflict.audit.keys import load_or_create_audit_key
from deconflict.audit.party import read_signed
from deconflict.audit.statements import CHECKPOINT, RECEIPT, checked, checkpoint, receipt, to_header
from deconflict.errors import BadStatement


@pytest.fixture
def signed(tmp_path: Path) -> tuple[object, dict[str, object]]:
    key = load_or_create_audit_key(tmp_path)
    cp = checkpoint(key, 7, ChainHead(3, "a" * 64), PartyHead("alpha", 2, "b" * 64))
    return key, cp


def test_a_checkpoint_reads_back_from_each_form_a_party_may_have_saved(
    signed: tuple[object, dict[str, object]],
) -> None:
    key, cp = signed
    as_json = orjson.dumps(cp)
    event = orjson.dumps({"id": 4, "kind": "audit.checkpoint", "time": "t", "data": cp})
    sse = b"id: 4\nevent: audit.checkpoint\ndata: " + as_json + b"\n\n"
    for saved in (as_json, event, sse, as_json + b"\n" + event + b"\n"):
        for doc in read_signed(saved):
            assert checked(doc, key.public, CHECKPOINT)["party"]["seq"] == 2  # type: ignore[attr-defined]


def test_a_statement_signed_by_another_key_is_refused(
    signed: tuple[object, dict[str, object]], tmp_path: Path
) -> None:
    _, cp = signed
    other = load_or_create_audit_key(tmp_path / "other")
    with pytest.raises(BadStatement, match="signed with key"):
        checked(cp, other.public, CHECKPOINT)


def test_a_receipt_is_not_taken_for_a_checkpoint(tmp_path: Path) -> None:
    key = load_or_create_audit_key(tmp_path)
    r = receipt(key, 1, "alpha", [AuditEntry("change", "alpha", "alpha", "operation", "op1")])
    (doc,) = read_signed(to_header(r).encode())
    assert checked(doc, key.public, RECEIPT)["party"] == "alpha"
    with pytest.raises(BadStatement, match="not a"):
        checked(doc, key.public, CHECKPOINT)


def test_the_audit_key_file_is_private_to_its_owner(tmp_path: Path) -> None:
    load_or_create_audit_key(tmp_path)
    assert (tmp_path / "audit" / "audit-key.pem").stat().st_mode & 0o077 == 0
