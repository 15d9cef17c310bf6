"""What an audit entry records, before and after it is chained.

An entry says who (``actor``) did what (``kind``) to which object, and whose data it
concerns (``subject``): the party that ``deconflict audit export --party`` gives the
entry to. Conventions per kind:

- ``change``: actor = the writer; subject = the owner of the changed object.
- ``disclosure``: actor = the party the data was shown to; subject = the party whose
  data it was.
- ``message``: actor = the sender; subject = the receiver (one entry per receiver).
- ``auth_failure``: actor = ``anonymous``; subject = the ``sub`` the token claimed, or
  ``""`` when it claimed none.
- ``agreement``, ``escalation``: actor = who acted (often ``operator``); subject = the
  party concerned (one entry per party).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CHANGE = "change"
DISCLOSURE = "disclosure"
MESSAGE = "message"
AUTH_FAILURE = "auth_failure"
AGREEMENT = "agreement"
ESCALATION = "escalation"

OPERATOR = "operator"
ANONYMOUS = "anonymous"
NO_SUBJECT = ""

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry: no entry before it."""

# Column widths of the store; checked here so that a too-long value fails the same way
# on every database (SQLite would store it, PostgreSQL would refuse it).
MAX_KIND = 32
MAX_PARTY = 256
MAX_OBJECT_KIND = 64
MAX_OBJECT_ID = 256


@dataclass(frozen=True)
class AuditEntry:
    """One thing to record; its time and place in the chain are given when stored."""

    kind: str
    actor: str
    subject: str
    object_kind: str
    object_id: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.kind:
            raise ValueError("an audit entry needs a kind")
        for name, value, limit in (
            ("kind", self.kind, MAX_KIND),
            ("actor", self.actor, MAX_PARTY),
            ("subject", self.subject, MAX_PARTY),
            ("object_kind", self.object_kind, MAX_OBJECT_KIND),
            ("object_id", self.object_id, MAX_OBJECT_ID),
        ):
            if len(value) > limit:
                raise ValueError(f"audit entry {name} longer than {limit} characters")


@dataclass(frozen=True)
class ChainedEntry:
    """An entry in the chain: ``hash`` covers everything else here (see ``chain``).

    Entries appended since salts were introduced carry a ``salt`` and their place in
    their subject's own chain (``party_seq``, ``party_prev``); older ones have None
    there and are hashed as before.
    """

    seq: int
    at_us: int
    """Microseconds since the epoch at which the entry was appended."""
    entry: AuditEntry
    prev_hash: str
    hash: str
    salt: str | None = None
    party_seq: int | None = None
    party_prev: str | None = None
    nonce: str | None = None
    """Secret of the global link (never exported): without it a party holding its
    leaf and two published head hashes could try global positions between them."""


@dataclass(frozen=True)
class PendingEntry:
    """An appended entry not yet linked into the chain. ``salt`` (32 hex digits, fresh
    per entry) hides the entry from whoever holds only hashes; ``seal`` is the
    service's HMAC over the rest, which the chainer checks when it has the key."""

    id: int
    at_us: int
    entry: AuditEntry
    salt: str | None = None
    seal: str | None = None


@dataclass(frozen=True)
class ChainHead:
    """The last link: ``seq`` 0 and ``GENESIS`` for an empty chain. Kept apart from the
    entries so that cutting entries off the end of the log is noticed too."""

    seq: int
    hash: str


@dataclass(frozen=True)
class PartyHead:
    """The end of one subject's own chain: ``seq`` entries about it, the last one's
    ``leaf`` (``GENESIS`` and 0 before the first)."""

    subject: str
    seq: int
    leaf: str
