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
