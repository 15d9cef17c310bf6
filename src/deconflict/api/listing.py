"""The order of lists shown to a party: by what it sees, never by what it may not.

``GET /v1/operations`` used to sort by id. A party that created probe operations with
chosen ids and watched where another party's reference fell among them recovered that
party's hidden id by bisection (470 requests). Now a list is ordered by start time,
then by everything else the viewer is shown of each item (its rendered JSON), and only
items the viewer sees as identical are ordered by an opaque key: an HMAC of the viewer
and the id under a service secret, which the viewer cannot compute. Cutting the list
at ``limit`` follows the same order, so neither the order, nor which items make the
cut, nor how many there are depends on an id the viewer may not know.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from fastapi import Request

from deconflict.api import deps
from deconflict.auth.keys import derived_secret, load_or_create_signing_key

SECRET_STATE_ATTR = "list_order_secret"
PURPOSE = "list-order-v1"


@dataclass(frozen=True, slots=True)
class Listed:
    """One item of a list: when it starts, what the viewer sees, and its (maybe hidden) id."""

    start: datetime
    shown: dict[str, Any]
    hidden_id: str


def opaque_key(secret: bytes, viewer: str, item_id: str) -> bytes:
    """The viewer's private tie-breaker for ``item_id``: stable for that viewer, unlinkable
    to the id without the secret, different for each viewer."""
    msg = orjson.dumps([viewer, item_id])
    return hmac.new(secret, msg, hashlib.sha256).digest()


def viewer_order(
    items: Iterable[Listed], viewer: str, secret: bytes, limit: int | None = None
) -> list[Listed]:
    """The items in the order described above, at most ``limit`` of them."""
    keyed = [
        (
            (
                item.start,
                orjson.dumps(item.shown, option=orjson.OPT_SORT_KEYS),
                opaque_key(secret, viewer, item.hidden_id),
            ),
            item,
        )
        for item in items
    ]
    keyed.sort(key=lambda pair: pair[0])
    ordered = [item for _, item in keyed]
    return ordered if limit is None else ordered[:limit]


def in_shown_order(
    items: Iterable[dict[str, Any]], ignore: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Rendered items (conflicts of a planning answer or of the console) ordered by what
    the viewer sees of them alone, keys sorted, ``ignore``d keys left out. Items that
    look the same to the viewer may come in either order: it cannot tell them apart.
    The engine finds conflicts in id order, so without this a dry run over probe
    operations with chosen ids placed another party's hidden id among them."""

    def key(item: dict[str, Any]) -> bytes:
        shown = {k: v for k, v in item.items() if k not in ignore}
        return orjson.dumps(shown, option=orjson.OPT_SORT_KEYS)

    return sorted(items, key=key)


def list_secret(request: Request) -> bytes:
    """The service's list-order secret, derived once per app from its signing key."""
    state = request.app.state
    secret = getattr(state, SECRET_STATE_ATTR, None)
    if not isinstance(secret, bytes):
        data_dir = deps.settings(request).data_dir
        secret = derived_secret(load_or_create_signing_key(data_dir), PURPOSE)
        setattr(state, SECRET_STATE_ATTR, secret)
    return secret
