"""Who made a request, as established by a verified token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified identity: ``sub`` names the party (the F3548 *manager*).

    ``issuer`` is kept because ``sub`` values are only unique per issuer; routes that
    trust several issuers can use ``(issuer, sub)`` when that matters.
    """

    sub: str
    issuer: str
    scopes: frozenset[str]
    expires_at: float | None = None
    """The token's ``exp`` (Unix seconds): long-lived connections (event streams,
    WebSockets) end when the token that opened them does."""

    def has_any(self, scopes: Iterable[str]) -> bool:
        """True when at least one of ``scopes`` was granted."""
        return any(scope in self.scopes for scope in scopes)

    def has_all(self, scopes: Iterable[str]) -> bool:
        """True when every one of ``scopes`` was granted."""
        return all(scope in self.scopes for scope in scopes)
