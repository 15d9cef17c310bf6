"""A row forged into ``audit_pending`` never becomes history: unsealed, it is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconflict.audit.keys import AuditKey, load_or_create_audit_key
from deconflict.cli.main import app
from deconflict.store.audit import (
    append_audit,
    chain_pending,
    count_pending,
    entries_about,
    refused_entries,
    use_key,
    verify_store,
)
from deconflict.store.sql import SqlStore
from tests.audit.helpers import entry, logged, sql

runner = CliRunner()

FORGED = (
    "INSERT INTO audit_pending (at_us, kind, actor, subject, object_kind, object_id, detail,"
    " salt, seal) VALUES (1, 'change', 'beta', 'alpha', 'operation', 'op9',"
    ' \'{"change":"deleted"}\', :salt, :seal)'
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def key(store: SqlStore, data_dir: Path) -> AuditKey:
    k = load_or_create_audit_key(data_dir)
    use_key(store.engine, k)
    return k


def _url(store: SqlStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _object_ids(store: SqlStore, subject: str) -> list[str]:
    with store.session() as s:
        return [c.entry.object_id for c in entries_about(s.conn, subject)]


def test_entries_the_service_appends_are_sealed_and_chained(store: SqlStore, key: AuditKey) -> None:
    logged(store, 2)
    assert _object_ids(store, "alpha") == ["op1", "op2"]
    assert verify_store(store).ok


@pytest.mark.parametrize("seal", [None, "0" * 64], ids=["no seal", "wrong seal"])
def test_a_row_forged_into_the_pending_queue_is_refused_not_chained(
    store: SqlStore, key: AuditKey, seal: str | None
) -> None:
    logged(store, 1)
    sql(store, FORGED, salt="ab" * 16, seal=seal)
    logged(store, 1)
    assert _object_ids(store, "alpha") == ["op1", "op1"]
    with store.session() as s:
        (refused,) = refused_entries(s.conn)
        assert count_pending(s.conn) == 0
    assert refused[2].object_id == "op9"
    assert verify_store(store).ok


def test_a_sealed_row_whose_content_was_edited_while_pending_is_refused(
    store: SqlStore, key: AuditKey
) -> None:
    with store.session(write=True) as s:
        append_audit(s, [entry(1)])
    sql(store, "UPDATE audit_pending SET actor = 'mallory'")
    chain_pending(store)
    assert _object_ids(store, "alpha") == []


def test_verify_reports_pending_entries_instead_of_chaining_them(
    store: SqlStore, key: AuditKey, data_dir: Path
) -> None:
    with store.session(write=True) as s:
        append_audit(s, [entry(1), entry(2)])
    result = runner.invoke(
        app, ["audit", "verify", "--database", _url(store), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "ok: 0 entries" in result.stdout
    assert "pending: 2 entries" in result.stdout
    with store.session() as s:
        assert count_pending(s.conn) == 2


def test_verify_names_a_forged_pending_row_and_leaves_it_unchained(
    store: SqlStore, key: AuditKey, data_dir: Path
) -> None:
    logged(store, 1)
    sql(store, FORGED, salt="ab" * 16, seal=None)
    result = runner.invoke(
        app, ["audit", "verify", "--database", _url(store), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 1, result.output
    assert "not sealed by this service's key" in result.stdout
    assert _object_ids(store, "alpha") == ["op1"]


def test_verify_names_the_rows_the_chainer_refused(
    store: SqlStore, key: AuditKey, data_dir: Path
) -> None:
    sql(store, FORGED, salt="ab" * 16, seal=None)
    chain_pending(store)
    result = runner.invoke(app, ["audit", "verify", "--database", _url(store)])
    assert result.exit_code == 1, result.output
    assert "FAILED refused id" in result.stdout and "'op9'" in result.stdout


def test_chaining_sealed_entries_without_the_audit_key_is_refused(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    with store.session(write=True) as s:
        append_audit(s, [entry(1)])
    elsewhere = ["--data-dir", str(tmp_path / "no-key-here")]
    result = runner.invoke(app, ["audit", "chain", "--database", _url(store), *elsewhere])
    assert "chained 0 pending entries" in result.stdout
    assert "holds no audit key" in result.output
    with store.session() as s:
        assert count_pending(s.conn) == 1
