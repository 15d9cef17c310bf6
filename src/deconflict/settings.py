"""One settings object, read from the environment (``DECONFLICT_*``) and passed down.

Nothing reads configuration from globals: the CLI and the server build a ``Settings``
and hand it to the pieces that need it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from deconflict.auth.settings import AuthSettings


class EqualPriorityPolicy(StrEnum):
    """What happens when two active operations of equal priority overlap."""

    REJECT = "reject"
    ALLOW_WITH_NOTICE = "allow_with_notice"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DECONFLICT_", env_file=None, extra="ignore", env_nested_delimiter="__"
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    equal_priority: EqualPriorityPolicy = EqualPriorityPolicy.REJECT
    auth: AuthSettings = Field(default_factory=AuthSettings)

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'deconflict.db').as_posix()}"
