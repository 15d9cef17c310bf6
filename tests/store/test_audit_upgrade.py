"""A log written before migration 0010 stays verifiable, and grows salted entries after it."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from sqlalchemy import create_engine

from deconflict.audit.entry import GENESIS
from deconflict.audit.party import export_problem
from deconflict.store import migrations_runner
from deconflict.store.audit import chain_pending, export_subject, verify_store
from deconflict.store.sql import SqlStore, open_store
from tests.audit.helpers import entry, forge, logged


def test_entries_logged_before_salts_verify_and_the_chain_goes_on_after_them(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        migrations_runner.upgrade(conn, "0009")
    old = SqlStore(engine)
    forge(old, 1, GENESIS, entry(1))  # as the chainer wrote it before 0010
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_log)")
    engine.dispose()
    store = open_store(url)  # upgraded to head, as the service would
    logged(store, 2)
    chain_pending(store)
    assert verify_store(store).ok and verify_store(store).checked == 3
    out = io.BytesIO()
    export_subject(store, "alpha", out)
    lines = [orjson.loads(x) for x in out.getvalue().splitlines()]
    assert ["salt" in x for x in lines] == [False, True, True]
    assert [x["seq"] for x in lines] == [1, 1, 2]  # global for the old, own for the new
    assert export_problem(lines, []) is None
    store.close()
