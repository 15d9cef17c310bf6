"""``deconflict zones import/export/list`` on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.io.airspace import load_airspace
from deconflict.io.ed269 import to_ed269
from deconflict.store.constraints import SqlAirspace
from deconflict.store.sql import open_store
from tests.constraints.helpers import constraint
from tests.constraints.test_files import _file

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
