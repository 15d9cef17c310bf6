"""``deconflict --config`` and ``deconflict config show`` through the CLI runner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from deconflict.cli.main import app
from deconflict.settings import CONFIG_ENV, Settings, read_config_file

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("DECONFLICT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no data/deconflict.toml of the checkout's


def _file(tmp_path: Path, text: str, name: str = "conf.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_bad_file_is_exit_2_naming_the_file_and_the_key(tmp_path: Path) -> None:
    path = _file(tmp_path, "[limits]\nmax_volume = 7\n")
    result = runner.invoke(app, ["--config", str(path), "version"])
    assert result.exit_code == 2
    assert f"{path}: limits.max_volume: Extra inputs are not permitted" in result.output


def test_a_bad_file_named_by_the_variable_is_exit_2_too(tmp_path: Path) -> None:
    path = _file(tmp_path, "log_format = 'yaml'\n")
    result = runner.invoke(app, ["version"], env={CONFIG_ENV: str(path)})
    assert result.exit_code == 2
    assert f"{path}: log_format:" in result.output


def test_show_names_where_each_value_came_from(tmp_path: Path) -> None:
    path = _file(tmp_path, 'log_format = "json"\n[limits]\nmax_volumes = 7\n')
    result = runner.invoke(
        app,
        ["--config", str(path), "config", "show"],
        env={"DECONFLICT_LIMITS__MAX_AREA_KM2": "99"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f'log_format = "json"  # file {path}' in lines
    assert f"max_volumes = 7  # file {path}" in lines
    assert "max_area_km2 = 99.0  # env DECONFLICT_LIMITS__MAX_AREA_KM2" in lines
    assert "max_vertices = 10000  # default" in lines


def test_show_masks_a_password_in_a_url() -> None:
    url = "postgresql+psycopg://app:hunter2@db.internal:5432/deconflict"
    result = runner.invoke(
        app, ["config", "show", "--format", "json"], env={"DECONFLICT_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    shown = json.loads(result.output)
    assert (
        shown["settings"]["database_url"]
        == "postgresql+psycopg://app:***@db.internal:5432/deconflict"
    )
    assert shown["sources"]["database_url"] == "env DECONFLICT_DATABASE_URL"


def test_what_show_prints_is_a_file_that_gives_the_same_settings(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "[rate_limits]\nper_subject_rps = 5\n[tactical.party_zones.dronecorp]\n"
        "radius_m = 50\nhalf_height_m = 15\n"
        '[[auth.trusted_issuers]]\nissuer = "https://a.example/"\nsubjects = ["uss-*"]\n'
        'jwks_url = "https://a.example/jwks"\n',
    )
    shown = runner.invoke(app, ["--config", str(path), "config", "show"])
    assert shown.exit_code == 0, shown.output
    again = _file(tmp_path, shown.output, "again.toml")
    assert Settings.model_validate(read_config_file(again)) == Settings.model_validate(
        read_config_file(path)
    )


def test_the_data_directorys_file_is_read_when_nothing_names_one(tmp_path: Path) -> None:
    data = tmp_path / "somewhere"
    data.mkdir()
    _file(data, 'log_format = "json"\n', "deconflict.toml")
    result = runner.invoke(
        app, ["config", "show", "--format", "json"], env={"DECONFLICT_DATA_DIR": str(data)}
    )
    assert json.loads(result.output)["settings"]["log_format"] == "json"


def test_the_flag_names_the_file_only_for_its_command(tmp_path: Path) -> None:
    path = _file(tmp_path, 'log_format = "json"\n')
    assert runner.invoke(app, ["--config", str(path), "version"]).exit_code == 0
    assert CONFIG_ENV not in os.environ


def test_a_commands_flag_wins_over_the_environment_which_wins_over_the_file(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, f'data_dir = "{tmp_path / "d"}"\n[auth]\nissuer = "urn:file"\n')

    def issuer(*args: str, env: dict[str, str] | None = None) -> str:
        argv = ["--config", str(path), "token", "--sub", "a", "--scope", "deconflict.read", *args]
        result = runner.invoke(app, argv, env=env)
        assert result.exit_code == 0, result.output
        token = result.stdout.strip().splitlines()[-1]
        return str(jwt.decode(token, options={"verify_signature": False})["iss"])

    assert issuer() == "urn:file"
    assert (tmp_path / "d").is_dir()  # the file's data_dir holds the key
    assert issuer(env={"DECONFLICT_AUTH__ISSUER": "urn:env"}) == "urn:env"
    assert issuer("--issuer", "urn:flag", env={"DECONFLICT_AUTH__ISSUER": "urn:env"}) == "urn:flag"


def test_the_command_table_lists_config() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert "config" in result.output and "--config" in result.output


def test_a_variable_the_settings_refuse_is_exit_2_naming_it_in_any_command() -> None:
    env = {"DECONFLICT_LIMITS__MAX_VOLUMES": "many"}
    result = runner.invoke(app, ["db", "check"], env=env)
    assert result.exit_code == 2
    assert "limits.max_volumes (DECONFLICT_LIMITS__MAX_VOLUMES): Input should be" in result.output
    assert "Traceback" not in result.output
