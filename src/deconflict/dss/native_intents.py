"""Native operations as F3548 sees them: operational intent references the service manages.

The service is the USS of its native parties, so each native operation a USS could
plan into appears to it as a reference with the service's manager name and base URL,
never the party's. Its OVN must change on every change and be known only to its
manager, as any USS's OVN is: it is derived from the reference's F3548 id and the
operation's version under a secret only the service holds (an HMAC), so every replica
computes the same OVN without storing one, and no one without the secret can produce
it from what a query shows (the id and the version).

Priorities map one to one: a native operation's priority is the integer F3548's
operational intent details carry as ``priority``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from deconflict.core.ports import StoredOperation
from deconflict.dss.records import IntentRef, UssAvailability
from deconflict.model.operation import OperationState

SHOWN_STATES = frozenset(
    {
        OperationState.ACCEPTED,
        OperationState.ACTIVATED,
        OperationState.NONCONFORMING,
        OperationState.CONTINGENT,
    }
)
"""The native states a USS sees, each as the F3548 state of the same name; an Ended
operation is gone in F3548 (as a deleted reference is), so it is not shown."""


@dataclass(frozen=True)
class NativeIdentity:
    """Who the service is to USSs: the ``manager`` of native references and the
    ``uss_base_url`` where their details are served (``settings.DssSettings``)."""

    manager: str = "deconflict"
    uss_base_url: str = "http://127.0.0.1:8080"


def native_ovn(secret: bytes, intent_id: str, version: int) -> str:
    """The OVN of version ``version`` of the native reference ``intent_id``: new with
    every version, and unguessable without ``secret``. 43 URL-safe characters, inside
    F3548's 16 to 128, like the random OVNs of USS intents."""
    digest = hmac.new(secret, f"{intent_id}\n{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def is_shown(state: OperationState) -> bool:
    return state in SHOWN_STATES


def native_ref(
    intent_id: str, stored: StoredOperation, secret: bytes, identity: NativeIdentity
) -> IntentRef:
    """The reference a USS sees for a native operation: where and when it is (all its
    volumes), its state and version, the service as its manager; nothing of its party."""
    op = stored.operation
    span = op.time_extent
    return IntentRef(
        id=intent_id,
        manager=identity.manager,
        version=stored.version,
        state=op.state,
        ovn=native_ovn(secret, intent_id, stored.version),
        uss_base_url=identity.uss_base_url,
        subscription_id=None,
        time_start=span.start,
        time_end=span.end,
        uss_availability=UssAvailability.NORMAL,
        volumes=op.volumes,
        native=True,
    )
