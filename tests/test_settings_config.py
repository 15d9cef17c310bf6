"""The configuration file: a TOML source after the environment, checked alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from deconflict.errors import ConfigError
from deconflict.settings import CONFIG_ENV, Settings, read_config_file


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deconflict.toml"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _no_deconflict_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DECONFLICT_LOG_FORMAT", "DECONFLICT_LIMITS__MAX_VOLUMES", CONFIG_ENV):
        monkeypatch.delenv(name, raising=False)


def test_the_file_named_by_the_variable_gives_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, 'log_format = "json"\n[limits]\nmax_volumes = 7\n')
    monkeypatch.setenv(CONFIG_ENV, str(path))
    settings = Settings()
    assert (settings.log_format, settings.limits.max_volumes) == ("json", 7)


def test_without_the_variable_no_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _file(tmp_path, 'log_format = "json"\n')
    monkeypatch.chdir(tmp_path)
    assert Settings().log_format == "text"


def test_the_environment_wins_over_the_file_key_by_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, "[limits]\nmax_volumes = 7\nmax_vertices = 500\n")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    monkeypatch.setenv("DECONFLICT_LIMITS__MAX_VOLUMES", "9")
    limits = Settings().limits
    assert (limits.max_volumes, limits.max_vertices) == (9, 500)


def test_arguments_win_over_the_environment_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, 'log_format = "json"\n')
    monkeypatch.setenv(CONFIG_ENV, str(path))
    assert Settings(log_format="text").log_format == "text"


def test_a_misspelt_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = _file(tmp_path, "[rate_limits]\nper_subject_rp = 5\n")
    with pytest.raises(ConfigError, match=rf"{path}: rate_limits.per_subject_rp: Extra inputs"):
        read_config_file(path)


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, "database = 'x.db'\n")
    with pytest.raises(ConfigError, match=r": database: Extra inputs"):
        read_config_file(path)


def test_a_refused_value_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = _file(tmp_path, "[limits]\nmax_volumes = 0\n")
    with pytest.raises(ConfigError, match=rf"{path}: limits.max_volumes: Input should be greater"):
        read_config_file(path)


def test_a_value_in_a_list_of_tables_is_named_with_its_index(tmp_path: Path) -> None:
    path = _file(tmp_path, '[[auth.trusted_issuers]]\nissuer = "x"\nsubject = ["a"]\n')
    with pytest.raises(ConfigError, match=r"auth.trusted_issuers\[0\].subject"):
        read_config_file(path)


def test_a_file_that_is_not_toml_names_the_line(tmp_path: Path) -> None:
    path = _file(tmp_path, 'a = 1\nlog_format "json"\n')
    with pytest.raises(ConfigError, match=rf"{path}: not valid TOML: .*line 2"):
        read_config_file(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere.toml: cannot read it"):
        read_config_file(tmp_path / "nowhere.toml")
