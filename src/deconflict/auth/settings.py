"""Authentication settings, embedded as the ``auth`` field of the main ``Settings``.

A plain pydantic model rather than a ``BaseSettings``: the main settings object owns the
environment prefix and nesting, so there is still exactly one place configuration is read.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TOKEN_LIFETIME_S = 3600
"""ASTM F3548-21: ``exp`` no further than one hour in the future."""

DEFAULT_ISSUER = "urn:deconflict:local"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AuthSettings(BaseModel):
    """Which tokens the service trusts, and how it mints its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trusted_key_paths: list[Path] = Field(
        default_factory=list,
        description="PEM files (public keys or X.509 certificates) whose RS256 tokens are "
        "trusted, e.g. a test suite's own key (serve --trust-key).",
    )
    trust_own_key: bool = Field(
        default=True,
        description="Trust tokens signed by the key pair in the data directory, the one "
        "`deconflict token` mints with. Turn off when an external authority issues all tokens.",
    )
    jwks_url: str | None = Field(
        default=None,
        description="JWKS document of an external authority; https unless on loopback.",
    )
    audiences: list[str] = Field(
        default_factory=lambda: ["localhost"],
        min_length=1,
        description="A token is accepted when its `aud` names one of these (serve --audience).",
    )
    issuer: str = Field(
        default=DEFAULT_ISSUER,
        min_length=1,
        description="`iss` written into tokens minted locally.",
    )
    max_token_lifetime_s: int = Field(
        default=MAX_TOKEN_LIFETIME_S,
        gt=0,
        le=MAX_TOKEN_LIFETIME_S,
        description="Tokens whose `exp` lies further ahead than this are refused.",
    )
    leeway_s: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="Clock skew tolerated between the issuer and this service.",
    )
    jwks_max_age_s: float = Field(
        default=300.0, gt=0, description="Refetch the JWKS at least this often."
    )
    jwks_min_refresh_interval_s: float = Field(
        default=10.0,
        ge=0,
        description="Fetch at most this often, so tokens with invented key ids cannot make "
        "the service hammer the authority.",
    )
    jwks_timeout_s: float = Field(default=3.0, gt=0)

    @field_validator("jwks_url")
    @classmethod
    def _jwks_url_must_be_safe(cls, value: str | None) -> str | None:
        # Keys fetched over plain http could be swapped by anyone on the path, which
        # would let them mint tokens we accept; loopback is allowed for tests and sidecars.
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
            return value
        raise ValueError("must be an https URL (plain http is allowed only on loopback)")

    @field_validator("audiences")
    @classmethod
    def _audiences_not_blank(cls, value: list[str]) -> list[str]:
        if any(not aud.strip() for aud in value):
            raise ValueError("audiences must not be blank")
        return value
