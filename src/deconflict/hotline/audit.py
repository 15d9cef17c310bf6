"""The audit entries a message leaves: who told whom what, and who failed to answer.

Following ``audit.entry``'s conventions: a ``message`` entry has the sender as actor
and the receiver as subject (an acknowledgement is a message back: the recipient is
the actor); an ``escalation`` has the operator as actor and one entry per party
concerned. The text itself is not copied into the log, its SHA-256 is: the chain then
proves what was said without spreading the words into every audit export.
"""

from __future__ import annotations

import hashlib
from typing import Any

from deconflict.audit.entry import ESCALATION, MESSAGE, AuditEntry
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


def sent(message: Message) -> list[AuditEntry]:
    return [
        AuditEntry(
            MESSAGE,
            message.sender,
            message.recipient,
            OBJECT_KIND,
            message.id,
            _detail(message, "sent"),
        )
    ]


def acknowledged(message: Message) -> list[AuditEntry]:
    return [
        AuditEntry(
            MESSAGE,
            message.recipient,
            message.sender,
            OBJECT_KIND,
            message.id,
            _detail(message, "acknowledged"),
        )
    ]


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
