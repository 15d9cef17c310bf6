"""What each party is told about a message, in the API and on its event stream.

One view function serves both, so a message read through ``GET /v1/messages/{id}`` and
the same message on the event stream cannot disagree about what they disclose. In a
message about a conflict the counterpart is not named (``null``): the sender reached
"the other side" without knowing who it is, and the recipient learns no more about the
sender than the conflict notice already said. The operator sees both names, and so do
two parties whose sharing agreement lets them identify each other (``identify``: the
disclosure policy's answer, asked by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deconflict.hotline.model import Message
from deconflict.model.times import rfc3339

RECEIVED = "message.received"
ACKNOWLEDGED = "message.acknowledged"
ESCALATED = "message.escalated"


@dataclass(frozen=True, slots=True)
class PartyNotice:
    """One event for one party's stream."""

    party: str
    kind: str
    body: dict[str, Any]


def counterpart(message: Message, viewer: str) -> str:
    """The party at the other end of ``message`` from ``viewer``."""
    return message.recipient if viewer == message.sender else message.sender


def view(
    message: Message, viewer: str, *, operator: bool = False, identify: bool = False
) -> dict[str, Any]:
    """``message`` as ``viewer`` may see it (the caller has checked that it may)."""
    hide = message.conflict_id is not None and not operator and not identify
    sender = message.sender if not hide or viewer == message.sender else None
    recipient = message.recipient if not hide or viewer == message.recipient else None
    body: dict[str, Any] = {
        "id": message.id,
        "conflict_id": message.conflict_id,
        "from": sender,
        "to": recipient,
        "text": message.text,
        "status": message.status.value,
        "created": rfc3339(message.created),
        "deadline": rfc3339(message.deadline),
        "acknowledged_at": _time(message.acknowledged_at),
        "escalated_at": _time(message.escalated_at),
    }
    if operator:
        body["acknowledged_by"] = message.acknowledged_by
    return body


def _time(t: Any) -> str | None:
    return rfc3339(t) if t is not None else None


def on_sent(message: Message, identify: bool = False) -> list[PartyNotice]:
    """``identify``: the recipient may know the sender (a sharing agreement)."""
    body = view(message, message.recipient, identify=identify)
    return [PartyNotice(message.recipient, RECEIVED, body)]


def on_acknowledged(message: Message, identify: bool = False) -> list[PartyNotice]:
    """``identify``: the sender may know the recipient."""
    body = view(message, message.sender, identify=identify)
    return [PartyNotice(message.sender, ACKNOWLEDGED, body)]


def on_escalated(
    message: Message, operator_party: str, identify: bool = False
) -> list[PartyNotice]:
    """The sender learns its message went unanswered; the operator, who can act, learns
    everything about it."""
    to_operator = PartyNotice(
        operator_party, ESCALATED, view(message, operator_party, operator=True)
    )
    if message.sender == operator_party:
        return [to_operator]
    to_sender = view(message, message.sender, identify=identify)
    return [PartyNotice(message.sender, ESCALATED, to_sender), to_operator]
