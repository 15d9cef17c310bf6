"""Whom the service trusts: issuers, their keys and subjects, audiences, token lifetimes.

These are the authentication settings, embedded as the ``auth`` field of the main
``Settings``. A plain pydantic model rather than a ``BaseSettings``: the main settings
object owns the environment prefix and nesting, so there is still exactly one place
configuration is read.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class IssuerSettings(BaseModel):
    """One trusted authority: its ``iss``, where its keys are, whom it may name.

    For example, a national identity provider that speaks for one force only::

        {"issuer": "https://idp.north.example", "jwks_url": "https://idp.north.example/jwks",
         "subjects": ["northern"]}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(min_length=1, description="The exact `iss` of its tokens.")
    key_paths: list[Path] = Field(
        default_factory=list,
        description="PEM files (public keys or X.509 certificates) it signs with.",
    )
    jwks_url: str | None = Field(
        default=None, description="Its JWKS document; https unless on loopback."
    )
    subjects: list[str] = Field(
        min_length=1,
        description="The parties (`sub`) it may speak for: names or shell-style patterns "
        "(`uss-*`); `*` for an authority trusted to name any party.",
    )
    operator: bool = Field(
        default=False,
        description="May grant `deconflict.admin` (the service operator's scope).",
    )

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

    @field_validator("issuer")
    @classmethod
    def _issuer_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("subjects")
    @classmethod
    def _subjects_not_blank(cls, value: list[str]) -> list[str]:
        if any(not s.strip() for s in value):
            raise ValueError("subject patterns must not be blank")
        return value

    @model_validator(mode="after")
    def _has_keys(self) -> IssuerSettings:
        if not self.key_paths and self.jwks_url is None:
            raise ValueError(f"issuer {self.issuer!r} needs key_paths or a jwks_url")
        return self


class AuthSettings(BaseModel):
    """Which tokens the service trusts, and how it mints its own.

    Every trusted key belongs to one issuer (``trusted_issuers``); the service's own key
    is the issuer ``issuer``, trusted for every party and as the operator.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    trusted_issuers: list[IssuerSettings] = Field(
        default_factory=list,
        description="Other authorities whose RS256 tokens are trusted, each for the parties "
        "it names (serve --trust-key ISSUER SUBJECTS PEM; "
        "DECONFLICT_AUTH__TRUSTED_ISSUERS as a JSON list).",
    )
    trust_own_key: bool = Field(
        default=True,
        description="Trust tokens signed by the key pair in the data directory, the one "
        "`deconflict token` mints with, when their `iss` is `issuer`. Turn off when an "
        "external authority issues all tokens.",
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

    @field_validator("trusted_issuers")
    @classmethod
    def _issuers_distinct(cls, value: list[IssuerSettings]) -> list[IssuerSettings]:
        names = [entry.issuer for entry in value]
        if len(set(names)) != len(names):
            raise ValueError("each issuer may be configured once")
        return value

    @model_validator(mode="after")
    def _own_issuer_not_shared(self) -> AuthSettings:
        # The own key names every party and makes operators; another authority with the
        # same ``iss`` would blur which of the two a token is held to.
        if self.trust_own_key and any(e.issuer == self.issuer for e in self.trusted_issuers):
            raise ValueError(
                f"issuer {self.issuer!r} is the service's own; give the other authority its own"
            )
        return self

    @field_validator("audiences")
    @classmethod
    def _audiences_not_blank(cls, value: list[str]) -> list[str]:
        if any(not aud.strip() for aud in value):
            raise ValueError("audiences must not be blank")
        return value
