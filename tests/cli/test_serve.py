"""``deconflict serve``'s settings: the service's base URL as the USS of its parties."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from deconflict.cli.serve import TrustedKeys, build_settings


def test_the_public_url_defaults_to_the_address_serve_listens_on(tmp_path: Path) -> None:
    settings = build_settings(None, tmp_path, TrustedKeys(), [], None, ("0.0.0.0", 9000))
    assert settings.dss.base_url == "http://0.0.0.0:9000"


def test_public_url_sets_the_base_url_usss_are_given(tmp_path: Path) -> None:
    url = "https://deconflict.example.org/"
    settings = build_settings(None, tmp_path, TrustedKeys(), [], url, ("127.0.0.1", 8080))
    assert settings.dss.public_base_url == "https://deconflict.example.org"


def test_the_environment_sets_it_when_the_flag_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECONFLICT_DSS__PUBLIC_BASE_URL", "https://env.example.org")
    settings = build_settings(None, tmp_path, TrustedKeys(), [], None, ("127.0.0.1", 8080))
    assert settings.dss.base_url == "https://env.example.org"


def test_a_public_url_that_is_not_absolute_http_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="public_base_url"):
        build_settings(None, tmp_path, TrustedKeys(), [], "deconflict.example.org", None)
