"""docs/configuration.md lists every setting as the model says, and its example is valid."""

from __future__ import annotations

import re
from pathlib import Path

from deconflict.cli import config as cli_config
from deconflict.cli.config import settings_table
from deconflict.settings import CONFIG_ENV, CONFIG_FILE_NAME, Settings, read_config_file

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_the_settings_table_is_the_models() -> None:
    text = DOC.read_text()
    table = text.split("<!-- settings table: begin -->\n")[1].split("<!-- settings table: end -->")[
        0
    ]
    assert table == settings_table(), (
        "docs/configuration.md's table differs from the settings model: regenerate it with "
        "cli.config.settings_table()"
    )


def test_every_setting_has_a_row() -> None:
    keys = set(re.findall(r"^\| `([^`]+)` \|", settings_table(), re.M))
    for name, info in Settings.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            assert {f"{name}.{field}" for field in sub.model_fields} <= keys
        else:
            assert name in keys


def test_the_documented_example_file_is_valid(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    assert example is not None
    path = tmp_path / "example.toml"
    path.write_text(example.group(1))
    assert read_config_file(path)["rate_limits"]["per_subject_rps"] == 50


def test_the_cli_finds_the_file_as_the_settings_name_it() -> None:
    assert cli_config.CONFIG_ENV == CONFIG_ENV
    assert cli_config.CONFIG_FILE_NAME == CONFIG_FILE_NAME
    assert Path(cli_config.DEFAULT_DATA_DIR) == Settings.model_fields["data_dir"].default
