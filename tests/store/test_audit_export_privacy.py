"""A party's export proves its own history and tells nothing of the others' (Medium 5).

The attack of issue 21: a party whose entries sit at global seq k and k+2 read the
hash of the entry between (the ``prev`` of k+2) and the hash before it, then tried
candidate contents until one hashed right, confirming another party's hidden id.
"""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path
from typing import Any

import orjson

from deconflict.audit.chain import entry_hash, leaf_hash, link_hash
from deconflict.audit.entry import AuditEntry
from deconflict.hotline.model import ConflictKind
from deconflict.notify.recorder import Notifier
from deconflict.service.hotline_parts import HotlineParts
from deconflict.settings import HotlineSettings, NotifySettings, Settings
from deconflict.store.audit import append_audit, chain_pending, export_subject, iter_chain
from deconflict.store.hotline import conflict_id_for
from deconflict.store.sql import SqlStore

AT = 1_800_000_000_000_000
HIDDEN = AuditEntry("change", "beta", "beta", "operation", "secret-7", {"change": "created"})


def _append(store: SqlStore, e: AuditEntry) -> None:
    with store.session(write=True) as s:
        append_audit(s, [e])


def _export(store: SqlStore, party: str) -> list[dict[str, Any]]:
    chain_pending(store)
    out = io.BytesIO()
    export_subject(store, party, out)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def _interleaved(store: SqlStore) -> None:
    _append(store, AuditEntry("change", "alpha", "alpha", "operation", "a1"))
    _append(store, HIDDEN)
    _append(store, AuditEntry("change", "alpha", "alpha", "operation", "a2"))


def _hex_values(lines: list[dict[str, Any]]) -> set[str]:
    return set(re.findall(r"[0-9a-f]{64}", orjson.dumps(lines).decode()))


def test_the_issue_brute_force_finds_nothing_to_confirm(store: SqlStore) -> None:
    """Even an attacker who guesses the hidden entry's content and time exactly (the
    best case of any brute force) finds no hash in its export that the guess matches."""
    _interleaved(store)
    lines = _export(store, "alpha")
    known = _hex_values(lines)
    with store.session() as s:
        hidden = next(c for c in iter_chain(s.conn) if c.entry.object_id == "secret-7")
    guesses = set()
    for seq, prev in itertools.product(range(1, 4), known | {"0" * 64}):
        guesses.add(entry_hash(HIDDEN, hidden.at_us, seq, prev))  # the issue's attack
        guesses.add(leaf_hash(HIDDEN, hidden.at_us, "", seq, prev))  # salt unknown
        guesses.add(link_hash(leaf_hash(HIDDEN, hidden.at_us, "", 1, "0" * 64), seq, prev))
    assert not guesses & known


def test_an_export_names_no_global_position_and_no_other_entry_hash(store: SqlStore) -> None:
    _interleaved(store)
    lines = _export(store, "alpha")
    with store.session() as s:
        others = {c.hash for c in iter_chain(s.conn) if c.entry.subject != "alpha"}
    assert [(x["seq"], x["object_id"]) for x in lines] == [(1, "a1"), (2, "a2")]
    assert lines[1]["prev"] == lines[0]["leaf"]  # its own chain, gap-free
    assert not others & _hex_values(lines)


def test_each_party_has_its_own_sequence_whatever_the_others_do(store: SqlStore) -> None:
    _append(store, AuditEntry("change", "alpha", "alpha", "operation", "a1"))
    for n in range(5):
        _append(store, AuditEntry("change", "beta", "beta", "operation", f"b{n}"))
    _append(store, AuditEntry("change", "alpha", "alpha", "operation", "a2"))
    assert [x["seq"] for x in _export(store, "alpha")] == [1, 2]


def test_the_recipient_of_an_anonymous_conflict_message_is_not_told_the_sender(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, hotline=HotlineSettings(escalation_in_process=False))
    hotline = HotlineParts(store, settings, Notifier(NotifySettings())).hotline
    cid = store.run(
        lambda s: conflict_id_for(s, ConflictKind.STRATEGIC, ("alpha", "a-op"), ("beta", "b-op"))
    )
    sent = hotline.send_to_conflict("beta", cid, "descending to 80 m")
    hotline.acknowledge("alpha", sent.id)
    to_alpha = _export(store, "alpha")
    assert "beta" not in orjson.dumps(to_alpha).decode()
    assert [(x["actor"], x["detail"]["action"]) for x in to_alpha] == [
        ("anonymous", "sent"),
        ("alpha", "acknowledged"),
    ]
    to_beta = _export(store, "beta")
    assert "alpha" not in orjson.dumps(to_beta).decode()
    assert [(x["actor"], x["detail"]["action"]) for x in to_beta] == [
        ("beta", "sent"),
        ("anonymous", "acknowledged"),
    ]


def test_an_export_gives_no_global_hash_to_test_positions_against(store: SqlStore) -> None:
    """With its own entries' global hashes a party could try ``link_hash(leaf, hash of
    its previous entry, s)`` for every s: a match would tell it that nobody wrote in
    between, and the global count."""
    _append(store, AuditEntry("change", "alpha", "alpha", "operation", "a1"))
    _append(store, AuditEntry("change", "alpha", "alpha", "operation", "a2"))
    _append(store, HIDDEN)
    lines = _export(store, "alpha")
    known = _hex_values(lines)
    tried = {link_hash(x["leaf"], s, h) for x in lines for h in known for s in range(1, 10)}
    assert not tried & known
