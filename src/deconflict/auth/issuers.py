"""Trusted issuers: who may sign tokens, and for which parties each may speak.

A signature proves only that a token came from whoever holds the key. When the service
trusts several authorities (its own key, a national identity provider, the F3548
ecosystem's OAuth server), each must be held to the parties it answers for: otherwise
the identity provider of one force could mint ``sub=<the other force>`` and read or
delete that force's operations. So every key and every JWKS belongs to exactly one
``iss``, with the subjects it may assert and whether it may grant operator scopes; a
token is checked against its own issuer's keys only, and refused when its ``sub`` or
its operator scopes go beyond what that issuer was trusted for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from cryptography.hazmat.primitives.asymmetric import rsa

from deconflict.auth.jwks import JwksCache
from deconflict.auth.scopes import Scope
from deconflict.errors import InvalidInput

OPERATOR_SCOPES: frozenset[str] = frozenset({Scope.ADMIN})
"""Scopes that make the holder the service operator (sees everything, manages parties):
only an issuer configured with ``operator=True`` may grant them."""

ANY_SUBJECT = "*"


@dataclass(frozen=True)
class TrustedIssuer:
    """One authority: its ``iss``, its keys, the parties it may name, operator or not.

    ``subjects`` are shell-style patterns matched case-sensitively against ``sub``
    (``alpha``, ``uss-*``, or ``*`` for an authority trusted to name any party, as the
    service's own key and an F3548 ecosystem's OAuth server are).
    """

    issuer: str
    subjects: tuple[str, ...]
    keys: tuple[rsa.RSAPublicKey, ...] = ()
    jwks: JwksCache | None = None
    operator: bool = False

    def __post_init__(self) -> None:
        if not self.issuer.strip():
            raise InvalidInput("auth.trusted_issuers.issuer", "must not be blank")
        if not self.subjects or any(not s.strip() for s in self.subjects):
            raise InvalidInput(
                "auth.trusted_issuers.subjects",
                f"issuer {self.issuer!r} needs at least one non-blank subject pattern",
            )
        if not self.keys and self.jwks is None:
            raise InvalidInput(
                "auth.trusted_issuers", f"issuer {self.issuer!r} has no PEM key and no JWKS URL"
            )

    def may_assert(self, sub: str) -> bool:
        return any(fnmatchcase(sub, pattern) for pattern in self.subjects)


def own_issuer(issuer: str, key: rsa.RSAPublicKey) -> TrustedIssuer:
    """The service's own key: it names any party and may make operators, because whoever
    holds the data directory already runs the service."""
    return TrustedIssuer(issuer, (ANY_SUBJECT,), keys=(key,), operator=True)


def by_issuer(issuers: Iterable[TrustedIssuer]) -> dict[str, TrustedIssuer]:
    """Issuers keyed by ``iss``; one ``iss`` configured twice is a mistake worth stopping
    for (which entry's subjects would apply?)."""
    out: dict[str, TrustedIssuer] = {}
    for entry in issuers:
        if entry.issuer in out:
            raise InvalidInput(
                "auth.trusted_issuers", f"issuer {entry.issuer!r} is configured more than once"
            )
        out[entry.issuer] = entry
    return out


def shown(value: str, limit: int = 80) -> str:
    """A claim value fit for an error message: quoted, and cut if an attacker made it long."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def issuer_names(issuers: Sequence[TrustedIssuer]) -> str:
    return ", ".join(sorted(i.issuer for i in issuers))
