"""``deconflict parties``: the operator's agreements, as a party's reads then see them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from deconflict.access.agreements import Grant
from deconflict.access.grants import PartyGrant
from deconflict.audit.entry import AGREEMENT
from deconflict.audit.keys import load_or_create_audit_key
from deconflict.cli.main import app
from deconflict.store.audit import chain_pending, entries_about, use_key
from deconflict.store.sharing import grant_of, load_agreements
from deconflict.store.sql import open_store

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["parties", *args, "--database", str(db)])
    return result.exit_code, result.output


def test_share_adds_grants_and_revoke_withdraws_them(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    assert run(db, "share", "beta", "alpha", "-g", "operation_ids", "-g", "call_signs")[0] == 0
    assert run(db, "revoke", "alpha", "beta", "-g", "call_signs")[0] == 0
    code, out = run(db, "list", "--json")
    assert code == 0
    assert [orjson.loads(line) for line in out.splitlines()] == [
        {"a": "alpha", "b": "beta", "grants": ["operation_ids"]}
    ]
    store = open_store(f"sqlite:///{db}")
    try:
        assert store.run(load_agreements, write=False).between("beta", "alpha") == {
            Grant.OPERATION_IDS
        }
    finally:
        store.close()


def test_revoking_everything_removes_the_agreement(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    run(db, "share", "alpha", "beta", "-g", "details")
    assert run(db, "revoke", "alpha", "beta")[0] == 0
    assert run(db, "list")[1] == ""


def test_an_unknown_grant_is_an_error_naming_the_valid_ones(tmp_path: Path) -> None:
    code, out = run(tmp_path / "d.db", "share", "alpha", "beta", "-g", "everything")
    assert code == 2 and "operation_ids, call_signs, details, telemetry" in out


def test_each_party_finds_the_agreement_change_in_its_audit_record(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    run(db, "share", "alpha", "beta", "-g", "telemetry")
    store = open_store(f"sqlite:///{db}")
    try:
        chain_pending(store)
        for party, other in (("alpha", "beta"), ("beta", "alpha")):
            [entry] = store.run(lambda s, p=party: list(entries_about(s.conn, p)), write=False)
            assert entry.entry.kind == AGREEMENT
            assert entry.entry.detail["other"] == other
            assert entry.entry.detail["after"] == ["telemetry"]
    finally:
        store.close()


# --- grants (issue 21, High 3) ------------------------------------------------------------


def test_grant_sets_a_partys_priority_range_and_off_nominal_right(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    code, out = run(db, "grant", "beta", "--priority-max", "10", "--off-nominal")
    assert code == 0, out
    assert "beta: priorities 0..10; may declare Nonconforming or Contingent" in out
    assert run(db, "grant", "beta", "--no-off-nominal")[0] == 0
    code, out = run(db, "grants", "--json")
    assert [orjson.loads(line) for line in out.splitlines()] == [
        {"party": "beta", "priority_min": 0, "priority_max": 10, "off_nominal": False}
    ]
    store = open_store(f"sqlite:///{db}")
    try:
        assert store.run(lambda s: grant_of(s, "beta"), write=False) == PartyGrant("beta", 0, 10)
    finally:
        store.close()


def test_grant_without_options_shows_the_defaults(tmp_path: Path) -> None:
    code, out = run(tmp_path / "d.db", "grant", "alpha")
    assert code == 0 and "alpha: priority 0; may not declare" in out
    assert run(tmp_path / "d.db", "grants")[1] == ""


def test_an_inverted_priority_range_is_an_error_naming_the_field(tmp_path: Path) -> None:
    code, out = run(tmp_path / "d.db", "grant", "beta", "--priority-min", "5")
    assert code == 2 and "priority_min: must not exceed priority_max" in out


def test_a_grant_from_the_cli_is_in_the_partys_audit_record(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    run(db, "grant", "beta", "--priority-max", "3")
    store = open_store(f"sqlite:///{db}")
    try:
        chain_pending(store)
        entries = store.run(lambda s: [c.entry for c in entries_about(s.conn, "beta")], write=False)
    finally:
        store.close()
    (entry,) = entries
    assert (entry.kind, entry.actor, entry.object_kind) == (AGREEMENT, "operator", "grant")
    assert entry.detail["after"]["priority_max"] == 3


def test_a_grant_from_the_cli_is_sealed_so_the_service_chains_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the service's audit key in the data directory, the chainer links only sealed
    entries: the CLI's grant must be sealed like its agreements, or it is refused."""
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(tmp_path))
    key = load_or_create_audit_key(tmp_path)
    db = tmp_path / "d.db"
    assert run(db, "grant", "beta", "--priority-max", "3")[0] == 0
    store = open_store(f"sqlite:///{db}")
    try:
        use_key(store.engine, key)
        chain_pending(store)
        entries = store.run(lambda s: [c.entry for c in entries_about(s.conn, "beta")], write=False)
    finally:
        store.close()
    assert [(e.object_kind, e.detail["after"]["priority_max"]) for e in entries] == [("grant", 3)]
