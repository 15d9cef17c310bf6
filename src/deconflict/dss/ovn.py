"""OVNs and versions: opaque, new on every write, and unguessable.

The key check is only as strong as the OVNs are secret: a USS that could predict an
OVN could "prove" knowledge of an intent it never fetched from its manager. So OVNs
come from the OS's CSPRNG rather than from a hash of the write time and the id (which
the reference DSS uses, and which anyone who sees the version timestamp can recompute).
"""

from __future__ import annotations

import secrets

OVN_BYTES = 32
"""256 bits: 43 URL-safe characters, inside F3548's 16..128 and safe in a URL path."""


def new_ovn() -> str:
    return secrets.token_urlsafe(OVN_BYTES)


def new_version() -> str:
    """Subscription and availability versions: opaque strings, new on every change."""
    return secrets.token_urlsafe(16)
