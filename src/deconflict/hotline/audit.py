"""The audit entries a message leaves: who told whom what, and who failed to answer.

Following ``audit.entry``'s conventions: a ``message`` entry has the sender as actor
and the receiver as subject (an acknowledgement is a message back: the recipient is
the actor); an ``escalation`` has the operator as actor and one entry per party
concerned. The text itself is not copied into the log, its SHA-256 is: the chain then
proves what was said without spreading the words into every audit export.

Where the two parties may not identify each other (a message to "the other side" of
a conflict, without a sharing agreement: ``events.view`` hides the counterpart too),
the counterpart's entry names the actor as ``anonymous``, and the actor gets an entry
of its own (subject = actor) for the same message: each side's export then shows what
it did and what reached it, never who is on the other side, and the operator still
finds both by the message id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from deconflict.audit.entry import ANONYMOUS, ESCALATION, MESSAGE, AuditEntry
from deconflict.hotline.model import Message
from deconflict.model.times import rfc3339

OBJECT_KIND = "message"


def _detail(message: Message, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "conflict_id": message.conflict_id,
        "text_sha256": hashlib.sha256(message.text.encode()).hexdigest(),
        "deadline": rfc3339(message.deadline),
    }


def _told(
    actor: str, told: str, message: Message, action: str, identified: bool
) -> list[AuditEntry]:
    detail = _detail(message, action)
    if identified or message.conflict_id is None:  # a direct message names both sides
        return [AuditEntry(MESSAGE, actor, told, OBJECT_KIND, message.id, detail)]
    return [
        AuditEntry(MESSAGE, ANONYMOUS, told, OBJECT_KIND, message.id, detail),
        AuditEntry(MESSAGE, actor, actor, OBJECT_KIND, message.id, detail),
    ]


def sent(message: Message, identified: bool = True) -> list[AuditEntry]:
    """``identified``: whether the recipient may know who sent it."""
    return _told(message.sender, message.recipient, message, "sent", identified)


def acknowledged(message: Message, identified: bool = True) -> list[AuditEntry]:
    """``identified``: whether the sender may know who acknowledged it."""
    return _told(message.recipient, message.sender, message, "acknowledged", identified)


def escalated(message: Message, operator_party: str) -> list[AuditEntry]:
    return [
        AuditEntry(
            ESCALATION,
            operator_party,
            party,
            OBJECT_KIND,
            message.id,
            _detail(message, "escalated"),
        )
        for party in (message.sender, message.recipient)
    ]
