"""Signed checkpoints catch what the chain alone cannot: a truncated or rewritten log.

Each attack is first shown to pass a plain ``verify`` (the chain is consistent again
after it), then to be caught with the checkpoint a party kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconflict.audit.chain import link_hash
from deconflict.audit.keys import (
    AuditKey,
    audit_public_key_path,
    load_audit_public_key,
    load_or_create_audit_key,
)
from deconflict.audit.statements import CHECKPOINT, checked
from deconflict.cli.main import app
from deconflict.settings import Settings
from deconflict.store.audit import (
    CHECKPOINT_EVENT,
    chain_pending,
    export_subject,
    publish_checkpoints,
    use_key,
    verify_store,
)
from deconflict.store.outbox import events_after
from deconflict.store.sql import SqlStore
from tests.audit.helpers import logged, rewrite_history, row_hash, sql, stream_for
from tests.conftest import Headers, native_op

runner = CliRunner()


@pytest.fixture
def key(store: SqlStore, tmp_path: Path) -> AuditKey:
    k = load_or_create_audit_key(tmp_path / "data")
    use_key(store.engine, k)
    return k


def _url(store: SqlStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _checkpoint_of(store: SqlStore, key: AuditKey, party: str, tmp_path: Path) -> Path:
    """Publish checkpoints and save the one ``party`` received, as the party would."""
    stream_for(store, party)
    publish_checkpoints(store, key, None)
    with store.session() as s:
        events = [e for e in events_after(s.conn, party, 0, 100) if e.kind == CHECKPOINT_EVENT]
    path = tmp_path / f"{party}-checkpoint.json"
    path.write_text(events[-1].body)
    return path


def _verify(store: SqlStore, *args: str) -> Any:
    return runner.invoke(app, ["audit", "verify", "--database", _url(store), *args])


def _data_dir(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data")]


def test_every_party_with_a_stream_receives_a_checkpoint_signed_by_the_audit_key(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    logged(store, 3, subject="alpha")
    path = _checkpoint_of(store, key, "alpha", tmp_path)
    statement = checked(orjson.loads(path.read_bytes()), key.public, CHECKPOINT)
    assert statement["chain"] == {"hash": row_hash(store, 3)}
    assert statement["party"]["subject"] == "alpha" and statement["party"]["seq"] == 3
    assert "seq" not in statement["chain"]  # the global count would tell of others' activity


def test_an_unmoved_head_publishes_no_new_checkpoint(store: SqlStore, key: AuditKey) -> None:
    logged(store, 1)
    stream_for(store, "alpha")
    head = publish_checkpoints(store, key, None)
    publish_checkpoints(store, key, head)
    with store.session() as s:
        kinds = [e.kind for e in events_after(s.conn, "alpha", 0, 100)]
    assert kinds.count(CHECKPOINT_EVENT) == 1


def test_a_truncated_log_passes_plain_verify_but_not_the_checkpoint(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    logged(store, 5)
    checkpoint = _checkpoint_of(store, key, "alpha", tmp_path)
    sql(store, "DELETE FROM audit_log WHERE seq >= 4")
    sql(store, "UPDATE audit_head SET seq = 3, hash = :h", h=row_hash(store, 3))
    rewrite_history(store)  # the party's own head moved back too
    assert verify_store(store).ok
    result = _verify(store, "--checkpoint", str(checkpoint), *_data_dir(tmp_path))
    assert result.exit_code == 1, result.output
    assert "truncated or rewritten" in result.stdout


def test_a_full_rewrite_with_recomputed_hashes_is_caught_by_the_checkpoint(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    logged(store, 4)
    checkpoint = _checkpoint_of(store, key, "alpha", tmp_path)
    sql(store, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    rewrite_history(store)
    assert verify_store(store).ok
    result = _verify(store, "--checkpoint", str(checkpoint), *_data_dir(tmp_path))
    assert result.exit_code == 1
    assert "FAILED checkpoint" in result.stdout


def test_an_intact_log_holds_its_checkpoints(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    logged(store, 2)
    checkpoint = _checkpoint_of(store, key, "alpha", tmp_path)
    logged(store, 2)
    result = _verify(store, "--checkpoint", str(checkpoint), *_data_dir(tmp_path))
    assert result.exit_code == 0, result.output
    assert "the log holds all 1 checkpoints" in result.stdout


def test_a_checkpoint_not_signed_by_the_service_is_refused(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    logged(store, 2)
    checkpoint = _checkpoint_of(store, key, "alpha", tmp_path)
    doc = orjson.loads(checkpoint.read_bytes())
    doc["statement"]["chain"]["hash"] = "0" * 64
    checkpoint.write_bytes(orjson.dumps(doc))
    result = _verify(store, "--checkpoint", str(checkpoint), *_data_dir(tmp_path))
    assert result.exit_code == 1
    assert "not genuine" in result.stdout


def test_a_party_finds_its_entries_cut_off_with_its_export_and_checkpoint_alone(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    logged(store, 3, subject="alpha")
    logged(store, 2, subject="beta")
    checkpoint = _checkpoint_of(store, key, "alpha", tmp_path)
    rewrite_history(store, drop={3})  # alpha's last entry
    export = tmp_path / "alpha.jsonl"
    with export.open("wb") as out:
        export_subject(store, "alpha", out)
    pub = ["--key", str(audit_public_key_path(tmp_path / "data"))]
    result = runner.invoke(
        app, ["audit", "check", str(export), "--checkpoint", str(checkpoint), *pub]
    )
    assert result.exit_code == 1, result.output
    assert "entries were removed" in result.stdout


def test_a_party_export_and_its_checkpoint_agree_when_nothing_was_touched(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    logged(store, 3, subject="alpha")
    checkpoint = _checkpoint_of(store, key, "alpha", tmp_path)
    logged(store, 1, subject="alpha")
    export = tmp_path / "alpha.jsonl"
    with export.open("wb") as out:
        export_subject(store, "alpha", out)
    pub = ["--key", str(audit_public_key_path(tmp_path / "data"))]
    result = runner.invoke(
        app, ["audit", "check", str(export), "--checkpoint", str(checkpoint), *pub]
    )
    assert result.exit_code == 0, result.output


def test_the_service_publishes_checkpoints_on_each_party_event_stream(
    client: TestClient, auth: Headers, settings: Settings, store: SqlStore
) -> None:
    assert client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha")).is_success
    chain_pending(store)
    client.app.state.services.chainer.checkpoint()  # type: ignore[attr-defined]
    with store.session() as s:
        events = [e for e in events_after(s.conn, "alpha", 0, 100) if e.kind == CHECKPOINT_EVENT]
    public = load_audit_public_key(audit_public_key_path(settings.data_dir))
    statement = checked(orjson.loads(events[-1].body), public, CHECKPOINT)
    assert statement["party"]["subject"] == "alpha" and statement["party"]["seq"] >= 1


def test_a_party_saves_the_checkpoints_of_its_stream_and_checks_its_export_with_them(
    client: TestClient,
    auth: Headers,
    settings: Settings,
    store: SqlStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha")).is_success
    chain_pending(store)
    client.app.state.services.chainer.checkpoint()  # type: ignore[attr-defined]
    route = lambda url, **kw: client.get(url, params=kw["params"], headers=kw["headers"])  # noqa: E731
    monkeypatch.setattr(httpx, "get", route)
    kept = tmp_path / "alpha-checkpoints.jsonl"
    token = auth("alpha")["Authorization"].removeprefix("Bearer ")
    fetch = ["audit", "checkpoints", "-o", str(kept), "--url", "http://testserver"]
    result = runner.invoke(app, [*fetch, "--token", token])
    assert result.exit_code == 0, result.output
    assert "saved 1 new checkpoints" in result.stdout
    assert "saved 0 new" in runner.invoke(app, [*fetch, "--token", token]).stdout
    export = tmp_path / "alpha.jsonl"
    with export.open("wb") as out:
        export_subject(store, "alpha", out)
    pub = ["--key", str(audit_public_key_path(settings.data_dir))]
    result = runner.invoke(app, ["audit", "check", str(export), "--checkpoint", str(kept), *pub])
    assert result.exit_code == 0, result.output
    assert "holds all 1 checkpoints" in result.stdout


def test_two_checkpoints_around_a_party_entry_do_not_reveal_its_global_position(
    store: SqlStore, key: AuditKey, tmp_path: Path
) -> None:
    """The party knows its entry's leaf and the head hashes before and after it: with
    them alone it could try every global seq. The link's secret nonce stops that."""
    logged(store, 2, subject="beta")
    before = orjson.loads(_checkpoint_of(store, key, "alpha", tmp_path).read_bytes())
    logged(store, 1, subject="alpha")
    after = orjson.loads(_checkpoint_of(store, key, "alpha", tmp_path).read_bytes())
    leaf = after["statement"]["party"]["leaf"]
    h1, h2 = before["statement"]["chain"]["hash"], after["statement"]["chain"]["hash"]
    assert all(link_hash(leaf, s, h1) != h2 for s in range(1, 1000))
