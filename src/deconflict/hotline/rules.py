"""The hotline's rules: who may send, read and acknowledge; bounds on text and deadlines.

Refusals that must not reveal whether something exists (a message between two other
parties, a conflict one is not a side of) are ``NotFound``, exactly like an unknown id:
a 403 there would confirm that the id is real.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from deconflict.errors import InvalidInput, NotRecipient, UnknownConflict, UnknownMessage
from deconflict.hotline.model import ConflictSides, Message
from deconflict.settings import HotlineSettings

PARTY_NAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,256}$")
"""Party names are token ``sub`` values: no whitespace or control characters, at most
256 characters (the width of the party columns)."""

ID = re.compile(r"^[^\s\x00-\x1f\x7f]{1,64}$")
"""Message and conflict ids (ours are ``m-``/``c-`` plus letters; tactical alert ids are
digits): at most 64 characters, the width of the id columns."""

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters other than tab and line breaks: not text a person wrote, and NUL
cannot even be stored by PostgreSQL."""


def message_text(raw: str, settings: HotlineSettings) -> str:
    """The text to store: surrounding whitespace dropped, non-empty, bounded."""
    text = raw.strip()
    if not text:
        raise InvalidInput("text", "must not be empty")
    if len(text) > settings.max_text_chars:
        raise InvalidInput("text", f"must be at most {settings.max_text_chars} characters")
    if CONTROL.search(text):
        raise InvalidInput("text", "must not contain control characters (tab and newline are fine)")
    return text


def well_formed_id(value: str) -> bool:
    """False for what can be no message's or conflict's id: answered as unknown without
    asking the database (which may refuse such a string outright)."""
    return ID.match(value) is not None


def deadline_of(created: datetime, deadline_s: float | None, settings: HotlineSettings) -> datetime:
    """When the message escalates unless acknowledged: the default, or the sender's
    choice within the configured bounds."""
    seconds = settings.default_deadline_s if deadline_s is None else deadline_s
    if not settings.min_deadline_s <= seconds <= settings.max_deadline_s:
        raise InvalidInput(
            "deadline_s",
            f"must be between {settings.min_deadline_s:g} and {settings.max_deadline_s:g} s",
        )
    return created + timedelta(seconds=seconds)


def recipient_named(sender: str, recipient: str) -> str:
    """A general message goes to a named party other than the sender."""
    if not PARTY_NAME.match(recipient):
        raise InvalidInput("to", "must be a party name (1-256 characters, no spaces)")
    if recipient == sender:
        raise InvalidInput("to", "must be another party than yourself")
    return recipient


def other_side(conflict: ConflictSides | None, sender: str) -> str:
    """The party a conflict message goes to; the sender never names it.

    A conflict the sender is not a side of looks the same as one that does not exist.
    """
    if conflict is None or sender not in (conflict.party_a, conflict.party_b):
        raise UnknownConflict("no such conflict of yours")
    if conflict.party_a == conflict.party_b:
        raise InvalidInput("conflict_id", "both sides of this conflict are yours")
    return conflict.party_b if sender == conflict.party_a else conflict.party_a


def may_read(message: Message, party: str, *, operator: bool) -> bool:
    """The two parties of a message, and the service operator, and nobody else."""
    return operator or party in (message.sender, message.recipient)


def readable(message: Message | None, party: str, *, operator: bool) -> Message:
    if message is None or not may_read(message, party, operator=operator):
        raise UnknownMessage("no such message")
    return message


def check_acknowledger(message: Message, party: str) -> None:
    """Raised for a party that may read the message but is not its recipient."""
    if party != message.recipient:
        raise NotRecipient("only the recipient may acknowledge a message")


def is_due(message: Message, now: datetime) -> bool:
    """Overdue and not yet dealt with: the escalator's condition, in one place."""
    return (
        message.acknowledged_at is None and message.escalated_at is None and now >= message.deadline
    )
