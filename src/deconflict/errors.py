"""Errors shared by every layer.

``InvalidInput`` carries the *field* it is about, so that each edge (CLI, HTTP) can
name the field and the rule in its message without parsing strings.
"""

from __future__ import annotations


class DeconflictError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidInput(DeconflictError, ValueError):
    """Input that breaks a rule; ``field`` is a dotted path to the offending value."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}" if field else rule)
        self.field = field
        self.rule = rule

    def within(self, prefix: str) -> InvalidInput:
        """The same error, with its field placed under ``prefix`` (e.g. ``volumes[2]``)."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return InvalidInput(field, self.rule)

    def __reduce__(self) -> tuple[type[InvalidInput], tuple[str, str]]:
        """Pickled by field and rule: the batch checker's worker processes send it back."""
        return (InvalidInput, (self.field, self.rule))


class InternalError(DeconflictError):
    """Our own failure, never the user's: a 500 with an error id, or ``check``'s exit 3.

    Raised where a rule meant for input fires on something the service derived itself
    (a circle drawn as a polygon for a report, a footprint read back from the store), so
    that it cannot leave as an ``InvalidInput`` and blame the user (issue 16).
    """
