"""``deconflict db``: upgrade, check, export and import, through Typer's test runner."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from sqlalchemy import delete
from typer.testing import CliRunner

from deconflict.cli.db import app as db_app
from deconflict.store.schema import volume_cells
from deconflict.store.sql import open_store
from tests.core.factories import operation, square, volume

app = typer.Typer()
app.add_typer(db_app, name="db")
runner = CliRunner()


def seeded(url: str) -> None:
    store = open_store(url)
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2))))
        s.put(operation("b", volume(square(5, 6))))
    store.close()


def test_upgrade_creates_and_migrates_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = runner.invoke(app, ["db", "upgrade", "--database", str(db)])
    assert result.exit_code == 0, result.output
    assert "latest" in result.output
    assert db.is_file()


def test_check_says_ok_on_a_sound_database(database_url: str) -> None:
    seeded(database_url)
    result = runner.invoke(app, ["db", "check", "--database", database_url])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_check_exits_1_and_lists_the_problems(database_url: str) -> None:
    seeded(database_url)
    store = open_store(database_url)
    with store.session(write=True) as s:
        s.conn.execute(delete(volume_cells).where(volume_cells.c.operation_id == "b"))
    store.close()
    result = runner.invoke(app, ["db", "check", "--database", database_url])
    assert result.exit_code == 1
    assert "1 problem" in result.output
    assert "b" in result.output and "volume 0 has no cells" in result.output


def test_check_does_not_create_a_missing_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "check", "--database", str(tmp_path / "none.db")])
    assert result.exit_code == 2
    assert "no database" in result.output
    assert not (tmp_path / "none.db").exists()


def test_export_then_import_moves_a_database_between_engines(
    tmp_path: Path, database_url: str
) -> None:
    """Export from SQLite (always) into each backend, then check the copy."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    seeded(source)
    file = tmp_path / "backup.jsonl"
    result = runner.invoke(app, ["db", "export", str(file), "--database", source])
    assert result.exit_code == 0, result.output
    assert "2 operation" in result.output
    lines = file.read_bytes().splitlines()
    assert orjson.loads(lines[0])["format"] == "deconflict-export"
    result = runner.invoke(app, ["db", "import", str(file), "--database", database_url])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["db", "check", "--database", database_url]).exit_code == 0
    again = runner.invoke(app, ["db", "import", str(file), "--database", database_url])
    assert again.exit_code == 2
    assert "not empty" in again.output and "nothing was imported" in again.output
