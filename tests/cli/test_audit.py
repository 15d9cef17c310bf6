"""``deconflict audit verify | export | chain`` against a database, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.store.audit import append_audit
from deconflict.store.sql import SqlStore
from tests.audit.helpers import entry, logged, row_hash, sql, stored_leaf

runner = CliRunner()


def _url(store: SqlStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_verify_reports_the_count_and_the_head_of_an_intact_log(store: SqlStore) -> None:
    logged(store, 3)
    result = runner.invoke(app, ["audit", "verify", "--database", _url(store)])
    assert result.exit_code == 0, result.output
    assert f"ok: 3 entries, head {row_hash(store, 3)}" in result.stdout


def test_verify_exits_1_naming_the_first_bad_entry(store: SqlStore) -> None:
    logged(store, 3)
    sql(store, "UPDATE audit_log SET subject = 'beta' WHERE seq = 2")
    result = runner.invoke(app, ["audit", "verify", "--database", _url(store)])
    assert result.exit_code == 1
    assert "FAILED at seq 2 (altered)" in result.stdout


def test_verify_with_chain_links_pending_entries_first(store: SqlStore) -> None:
    with store.session(write=True) as s:
        append_audit(s, [entry(1), entry(2)])
    result = runner.invoke(app, ["audit", "verify", "--chain", "--database", _url(store)])
    assert result.exit_code == 0, result.output
    assert "ok: 2 entries" in result.stdout


def test_verify_no_chain_leaves_pending_entries_alone(store: SqlStore) -> None:
    with store.session(write=True) as s:
        append_audit(s, [entry(1)])
    result = runner.invoke(app, ["audit", "verify", "--no-chain", "--database", _url(store)])
    assert "ok: 0 entries" in result.stdout
    result = runner.invoke(app, ["audit", "chain", "--database", _url(store)])
    assert "chained 1 pending entries" in result.stdout


def test_export_writes_the_party_entries_as_json_lines(store: SqlStore, tmp_path: Path) -> None:
    logged(store, 2, subject="alpha")
    logged(store, 1, subject="beta")
    out = tmp_path / "alpha.jsonl"
    result = runner.invoke(
        app,
        ["audit", "export", "--party", "alpha", "--output", str(out), "--database", _url(store)],
    )
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert [(x["seq"], x["subject"]) for x in lines] == [(1, "alpha"), (2, "alpha")]
    assert lines[1]["leaf"] == stored_leaf(store, 2)


def test_verify_of_a_missing_database_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--database", str(tmp_path / "none.db")])
    assert result.exit_code == 2


def test_check_accepts_an_untouched_export_and_names_an_edited_line(
    store: SqlStore, tmp_path: Path
) -> None:
    logged(store, 3)
    out = tmp_path / "alpha.jsonl"
    runner.invoke(
        app, ["audit", "export", "--party", "alpha", "-o", str(out), "--database", _url(store)]
    )
    result = runner.invoke(app, ["audit", "check", str(out)])
    assert result.exit_code == 0 and "ok: 3 entries" in result.stdout
    lines = out.read_bytes().splitlines()
    edited = orjson.loads(lines[1]) | {"actor": "mallory"}
    out.write_bytes(b"\n".join([lines[0], orjson.dumps(edited), lines[2]]))
    result = runner.invoke(app, ["audit", "check", str(out)])
    assert result.exit_code == 1 and "FAILED at line 2 (seq 2)" in result.stdout


def test_verify_without_a_chain_head_exits_2_saying_so(store: SqlStore) -> None:
    logged(store, 1)
    sql(store, "DELETE FROM audit_head")
    result = runner.invoke(app, ["audit", "verify", "--database", _url(store)])
    assert result.exit_code == 2
    assert "chain head" in result.output


def test_verify_of_a_database_not_yet_upgraded_exits_2_saying_how_to_upgrade(
    tmp_path: Path,
) -> None:
    from sqlalchemy import create_engine

    from deconflict.store import migrations_runner

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrations_runner.upgrade(conn, "0009")
    engine.dispose()
    result = runner.invoke(app, ["audit", "verify", "--database", str(path)])
    assert result.exit_code == 2
    assert "deconflict db upgrade" in result.output
