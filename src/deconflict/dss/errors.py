"""DSS failures, each carrying the HTTP-independent *kind* the API maps to a status.

The kinds follow what F3548 clients (and InterUSS's test suites) expect from the
reference DSS, including its less obvious choices, e.g. updating a missing operational
intent is a bad request (400) while updating a missing constraint is a conflict (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from deconflict.errors import DeconflictError

if TYPE_CHECKING:
    from deconflict.dss.records import ConstraintRef, IntentRef


class DssError(DeconflictError):
    """Base class; ``status`` is the HTTP status F3548 prescribes for the case."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DssError):
    status = 400


class NotAllowed(DssError):
    """The caller is authenticated but may not do this (not the manager, missing scope)."""

    status = 403


class NotFound(DssError):
    status = 404


class Conflict(DssError):
    """Stale OVN or version, or an entity that already exists."""

    status = 409


class AreaTooLarge(DssError):
    """Subscription queries answer 413 for a too-large area, as the reference DSS does."""

    status = 413


class AirspaceConflict(Conflict):
    """The key lacked the OVN of some intersecting entity; the lists say which."""

    def __init__(
        self,
        message: str,
        missing_operational_intents: Sequence[IntentRef],
        missing_constraints: Sequence[ConstraintRef],
    ) -> None:
        super().__init__(message)
        self.missing_operational_intents = tuple(missing_operational_intents)
        self.missing_constraints = tuple(missing_constraints)
