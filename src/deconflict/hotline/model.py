"""Hotline messages and the conflicts they can be about.

A conflict is known to the hotline by an opaque id that both sides see in their
notices (or alerts). The registry entry names both parties so that the service, never
the sender, resolves "the other side": a party can talk to whoever it is in conflict
with without learning who that is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ConflictKind(StrEnum):
    STRATEGIC = "strategic"
    """Two planned operations overlap (a conflict notice)."""
    TACTICAL = "tactical"
    """Two live aircraft are predicted to lose separation (a tactical alert)."""


@dataclass(frozen=True, slots=True)
class ConflictSides:
    """A registered conflict: two parties and what each side's part in it is."""

    id: str
    kind: ConflictKind
    party_a: str
    party_b: str
    subject_a: str
    """Party A's object in the conflict (an operation id, a track id)."""
    subject_b: str
    created: datetime


class MessageStatus(StrEnum):
    AWAITING = "awaiting_ack"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    """Past its deadline without acknowledgement (it may still be acknowledged)."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conflict_id: str | None
    """Set when sent to "the other side" of a conflict; the counterpart stays unnamed."""
    sender: str
    recipient: str
    text: str
    created: datetime
    deadline: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated_at: datetime | None = None

    @property
    def status(self) -> MessageStatus:
        if self.acknowledged_at is not None:
            return MessageStatus.ACKNOWLEDGED
        if self.escalated_at is not None:
            return MessageStatus.ESCALATED
        return MessageStatus.AWAITING


class Role(StrEnum):
    """Which of a party's messages to list."""

    SENT = "sent"
    RECEIVED = "received"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """Filters for listing; ``party`` None lists everyone's (the operator's view)."""

    party: str | None
    role: Role = Role.ANY
    conflict_id: str | None = None
    status: MessageStatus | None = None
    since: datetime | None = None
    limit: int = 100
