"""A constraint or a zone as stored: with the version a change gave it, and when.

Versions name one content forever, so that an event, a receipt or an ``If-Match`` can
refer to exactly what a party saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deconflict.model.constraint import AgreedZone, Constraint


@dataclass(frozen=True)
class StoredConstraint:
    constraint: Constraint
    version: int
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class ZoneVersion:
    """One entry of a zone's history; ``zone`` is None for the deletion."""

    zone_id: str
    version: int
    deleted: bool
    changed_by: str
    changed: datetime
    zone: AgreedZone | None
