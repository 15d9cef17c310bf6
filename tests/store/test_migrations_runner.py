"""Opening a store migrates what is behind and leaves a database at head as it is."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from deconflict.store import migrations_runner
from deconflict.store.sql import open_store


def version(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def test_only_a_database_at_the_newest_revision_is_at_head(tmp_path: Path) -> None:
    heads = ScriptDirectory(str(migrations_runner.MIGRATIONS)).get_heads()
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        assert not migrations_runner.at_head(conn)  # empty: no revision at all
        migrations_runner.upgrade(conn, "0009")
        assert not migrations_runner.at_head(conn)
    engine.dispose()
    open_store(url).close()  # behind: migrated to the newest revision
    assert version(url) == list(heads)
    engine = create_engine(url)
    with engine.begin() as conn:
        assert migrations_runner.at_head(conn)
        assert "tactical_alerts" in inspect(conn).get_table_names()
    engine.dispose()
