"""Every acknowledged native write carries a signed receipt that the history must honour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconflict.audit.keys import audit_public_key_path, load_audit_public_key
from deconflict.audit.statements import RECEIPT, checked, parse
from deconflict.cli.main import app
from deconflict.settings import Settings
from deconflict.store.audit import chain_pending, entries_about, export_subject
from deconflict.store.sql import SqlStore
from tests.audit.helpers import rewrite_history
from tests.conftest import Grant, Headers, native_op
from tests.e2e.audit.test_service import restricted

runner = CliRunner()
HEADER = "Deconflict-Receipt"


def _receipt(settings: Settings, header: str) -> dict[str, Any]:
    public = load_audit_public_key(audit_public_key_path(settings.data_dir))
    return checked(parse(header.encode()), public, RECEIPT)


def _check(store: SqlStore, settings: Settings, receipt: Path, *args: str) -> Any:
    url = store.engine.url.render_as_string(hide_password=False)
    key = str(audit_public_key_path(settings.data_dir))
    command = ["audit", "check-receipt", str(receipt), "--key", key, *args]
    return runner.invoke(app, [*command, "--database", url] if not args else command)


def _saved(tmp_path: Path, header: str) -> Path:
    path = tmp_path / "receipt.txt"
    path.write_text(header)
    return path


def test_an_accepted_plan_carries_a_receipt_of_what_was_accepted(
    client: TestClient, auth: Headers, settings: Settings
) -> None:
    r = client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    assert r.status_code == 201
    receipt = _receipt(settings, r.headers[HEADER])
    assert receipt["party"] == "alpha"
    (claim,) = receipt["entries"]
    assert (claim["object_id"], claim["detail"]["change"], claim["detail"]["version"]) == (
        "op1",
        "created",
        1,
    )


def test_a_refused_plan_carries_no_receipt(client: TestClient, auth: Headers, grant: Grant) -> None:
    grant("alpha", priority_max=5)
    assert client.put(
        "/v1/operations/a1", json=native_op(priority=5), headers=auth("alpha")
    ).is_success
    r = client.put("/v1/operations/b1", json=native_op(priority=0), headers=auth("beta"))
    assert r.status_code == 409
    assert HEADER not in r.headers


def test_state_changes_and_deletions_carry_receipts_too(
    client: TestClient, auth: Headers, settings: Settings
) -> None:
    client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    r = client.post("/v1/operations/op1/state", json={"state": "Activated"}, headers=auth("alpha"))
    assert r.status_code == 200, r.text
    assert (
        _receipt(settings, r.headers[HEADER])["entries"][0]["detail"]["change"] == "state_changed"
    )
    r = client.delete("/v1/operations/op1", headers=auth("alpha"))
    assert _receipt(settings, r.headers[HEADER])["entries"][0]["detail"]["change"] == "deleted"


def test_check_receipt_names_the_entry_that_holds_the_accepted_write(
    client: TestClient, auth: Headers, settings: Settings, store: SqlStore, tmp_path: Path
) -> None:
    r = client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    chain_pending(store)
    result = _check(store, settings, _saved(tmp_path, r.headers[HEADER]))
    assert result.exit_code == 0, result.output
    assert "ok: operation 'op1' created: entry seq" in result.stdout


def test_check_receipt_catches_an_accepted_write_erased_from_a_rehashed_history(
    client: TestClient, auth: Headers, settings: Settings, store: SqlStore, tmp_path: Path
) -> None:
    r = client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    assert r.status_code == 201
    chain_pending(store)
    with store.session() as s:
        (erased,) = [c.seq for c in entries_about(s.conn, "alpha") if c.entry.object_id == "op1"]
    rewrite_history(store, drop={erased})
    result = _check(store, settings, _saved(tmp_path, r.headers[HEADER]))
    assert result.exit_code == 1
    assert "accepted, but the log has no such entry" in result.stdout


def test_a_party_checks_a_receipt_against_its_export_without_the_database(
    client: TestClient, auth: Headers, settings: Settings, store: SqlStore, tmp_path: Path
) -> None:
    r = client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    chain_pending(store)
    export = tmp_path / "alpha.jsonl"
    with export.open("wb") as out:
        export_subject(store, "alpha", out)
    receipt = _saved(tmp_path, r.headers[HEADER])
    assert _check(store, settings, receipt, "--export", str(export)).exit_code == 0
    export.write_bytes(b"")
    result = _check(store, settings, receipt, "--export", str(export))
    assert result.exit_code == 1 and "not in the export" in result.stdout


def test_a_receipt_altered_by_its_holder_is_not_genuine(
    client: TestClient, auth: Headers, settings: Settings, store: SqlStore, tmp_path: Path
) -> None:
    r = client.put("/v1/operations/op1", json=native_op(), headers=auth("alpha"))
    doc = parse(r.headers[HEADER].encode())
    assert isinstance(doc, dict)
    doc["statement"]["entries"][0]["detail"]["priority"] = 99
    result = _check(store, settings, _saved(tmp_path, orjson.dumps(doc).decode()))
    assert result.exit_code == 1
    assert "not genuine" in result.stdout


def test_a_constraint_write_carries_a_receipt_naming_only_the_writer_entries(
    client: TestClient, auth: Headers, settings: Settings, store: SqlStore, tmp_path: Path
) -> None:
    r = client.put(
        "/v1/constraints/ra", json=restricted(), headers=auth("alpha", "deconflict.plan")
    )
    assert r.status_code == 201, r.text
    receipt = _receipt(settings, r.headers[HEADER])
    assert [(c["subject"], c["object_id"], c["detail"]["change"]) for c in receipt["entries"]] == [
        ("alpha", "ra", "created")
    ]
    assert "medevac" not in orjson.dumps(receipt).decode()  # also told: not alpha's to know
    chain_pending(store)
    assert _check(store, settings, _saved(tmp_path, r.headers[HEADER])).exit_code == 0


def test_a_batch_carries_its_receipt_in_the_body_not_a_header(
    client: TestClient, auth: Headers, settings: Settings
) -> None:
    """A receipt of hundreds of entries would be a header past what HTTP clients and
    proxies accept, so a batch's receipt is a field of its answer."""
    items = [{"id": f"b{k}", **native_op(lon=0.02 * k)} for k in range(300)]
    r = client.post("/v1/operations:batch", json={"operations": items}, headers=auth("alpha"))
    assert r.status_code == 207, r.text
    assert HEADER not in r.headers
    receipt = _receipt(settings, r.json()["receipt"])
    assert sorted(c["object_id"] for c in receipt["entries"]) == sorted(i["id"] for i in items)
