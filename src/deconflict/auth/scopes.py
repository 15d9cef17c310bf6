"""Scope names: the five of ASTM F3548-21 and the native ``deconflict.*`` ones.

The two families are deliberately disjoint: a USS token granted for the DSS API does not
let its holder plan through the native ``/v1`` API, and the other way round, because the
two APIs carry different guarantees (the F3548 *key* versus planning done for the party).
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """Every scope the service understands; values are the exact wire strings."""

    # ASTM F3548-21, securitySchemes.Authority
    STRATEGIC_COORDINATION = "utm.strategic_coordination"
    CONSTRAINT_MANAGEMENT = "utm.constraint_management"
    CONSTRAINT_PROCESSING = "utm.constraint_processing"
    CONFORMANCE_MONITORING_SA = "utm.conformance_monitoring_sa"
    AVAILABILITY_ARBITRATION = "utm.availability_arbitration"

    # Native API
    PLAN = "deconflict.plan"
    """Submit, change and end one's own operations."""
    READ = "deconflict.read"
    """Read own operations in full and others' as references."""
    ADMIN = "deconflict.admin"
    """Operate the service (parties, policies, audit export)."""
    TRACK = "deconflict.track"
    """Report live positions and read tactical alerts."""


F3548_SCOPES: frozenset[str] = frozenset(
    {
        Scope.STRATEGIC_COORDINATION,
        Scope.CONSTRAINT_MANAGEMENT,
        Scope.CONSTRAINT_PROCESSING,
        Scope.CONFORMANCE_MONITORING_SA,
        Scope.AVAILABILITY_ARBITRATION,
    }
)
NATIVE_SCOPES: frozenset[str] = frozenset({Scope.PLAN, Scope.READ, Scope.ADMIN, Scope.TRACK})
KNOWN_SCOPES: frozenset[str] = F3548_SCOPES | NATIVE_SCOPES


def parse_scope_claim(value: str) -> frozenset[str]:
    """Split an RFC 6749 ``scope`` string; unknown scopes are kept (and simply grant nothing).

    Keeping them rather than rejecting the token lets an authority that also issues
    scopes for other services share tokens with us without a configuration change.
    """
    return frozenset(part for part in value.split(" ") if part)
