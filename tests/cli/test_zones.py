"""``deconflict zones import/export/list`` on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.io.airspace import load_airspace
from deconflict.io.ed269 import to_ed269
from deconflict.store.constraints import SqlAirspace
from deconflict.store.schema_notify import party_events
from deconflict.store.sql import open_store
from tests.airspace.factories import box, constraint
from tests.core.factories import operation, volume
from tests.io.test_airspace import _file

runner = CliRunner()


def test_import_list_export_round_trip(tmp_path: Path) -> None:
    db = str(tmp_path / "z.db")
    geo = tmp_path / "zones.geojson"
    geo.write_bytes(orjson.dumps(_file()))
    ed = tmp_path / "ed269.json"
    ed.write_bytes(orjson.dumps(to_ed269([constraint("ED1")])))
    for f in (geo, ed):
        result = runner.invoke(app, ["zones", "import", str(f), "--database", db])
        assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["zones", "list", "--database", db])
    assert listed.exit_code == 0
    assert "ED1" in listed.output and "nfz" in listed.output and "dateline" in listed.output
    assert "0: w, 1: e" in listed.output
    out = tmp_path / "out.geojson"
    assert runner.invoke(app, ["zones", "export", "--database", db, "-o", str(out)]).exit_code == 0
    back = load_airspace(out.read_bytes())
    assert sorted(c.id for c in back.constraints) == ["ED1", "nfz"]
    assert [z.id for z in back.zones] == ["dateline"]
    ed_out = runner.invoke(app, ["zones", "export", "--database", db, "--format", "ed269"])
    assert ed_out.exit_code == 0
    assert sorted(c.id for c in load_airspace(ed_out.stdout_bytes).constraints) == ["ED1", "nfz"]


def test_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "z.db")
    data = _file()
    features = data["features"]
    assert isinstance(features, list)
    features[1]["properties"]["left_party"] = ""
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(orjson.dumps(data))
    result = runner.invoke(app, ["zones", "import", str(bad), "--database", db])
    assert result.exit_code == 2
    assert "features[1].properties.left_party" in result.output
    store = open_store(f"sqlite:///{db}")
    try:
        assert store.run(lambda s: SqlAirspace(s).list_constraints(), write=False) == []
    finally:
        store.close()


def test_import_tells_the_parties_with_operations_inside(tmp_path: Path) -> None:
    db = str(tmp_path / "z.db")
    store = open_store(f"sqlite:///{db}")
    try:
        with store.session(write=True) as s:
            s.put(operation("b1", volume(box(0.002, 0.002, 0.008, 0.008)), party="bravo"))
    finally:
        store.close()
    ed = tmp_path / "ed269.json"
    ed.write_bytes(orjson.dumps(to_ed269([constraint("ED1")])))
    args = ["zones", "import", str(ed), "--database", db, "--changed-by", "caa"]
    assert runner.invoke(app, args).exit_code == 0
    store = open_store(f"sqlite:///{db}")
    try:
        with store.session() as s:
            rows = s.conn.execute(select(party_events).where(party_events.c.party == "bravo"))
            told = [(r.kind, orjson.loads(r.body)) for r in rows]
    finally:
        store.close()
    assert [(k, b["constraint"], b["changed_by"]) for k, b in told] == [
        ("constraint.created", "ED1", "caa")
    ]
    assert [c["operation"] for c in told[0][1]["your_conflicts"]] == ["b1"]
