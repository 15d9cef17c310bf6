"""Entity and subscription ids: UUIDv4, read leniently, written canonically.

USSs in the field send the dashless and ``urn:uuid:`` spellings too (the reference DSS
accepts whatever Go's ``uuid.Parse`` does); storing the canonical lowercase form keeps
one entity from hiding under two ids.
"""

from __future__ import annotations

import uuid

from deconflict.errors import BadRequest


def parse_uuid4(text: str, field: str) -> str:
    """The canonical form of ``text``; ``BadRequest`` naming ``field`` if it is no UUIDv4."""
    try:
        value = uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        raise BadRequest(f"{field}: {text[:64]!r} is not a UUID") from None
    if value.version != 4 or value.variant != uuid.RFC_4122:
        raise BadRequest(f"{field}: {text[:64]!r} is not a version-4 (RFC 4122) UUID")
    return str(value)


def new_uuid4() -> str:
    return str(uuid.uuid4())
