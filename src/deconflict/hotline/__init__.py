"""The hotline: messages between parties, each with an acknowledgement deadline.

Layout: ``model`` (messages and the conflicts they may be about), ``rules`` (who may
send, read and acknowledge, and the bounds on text and deadlines), ``events`` (what each
party is told), ``ports`` (what the service needs from persistence and the event
stream), ``service`` (the use cases, in one transaction each), ``escalator`` (the loop
that escalates overdue messages). Nothing here knows SQL or HTTP.
"""

from __future__ import annotations
