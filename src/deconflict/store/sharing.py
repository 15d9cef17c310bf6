"""Sharing agreements in the store: read whole per request, written by the operator.

Reads happen inside the caller's transaction, so what a response discloses is decided
by the agreements as they stood when its data was read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from deconflict.access.agreements import Agreement, Agreements, parse_grants
from deconflict.access.policy import DisclosurePolicy
from deconflict.store.codec import to_us
from deconflict.store.schema_sharing import sharing_agreements as t
from deconflict.store.sessions import connection_of


def list_agreements(session: Any) -> list[Agreement]:
    rows = connection_of(session).execute(select(t).order_by(t.c.party_a, t.c.party_b))
    return [
        Agreement(r.party_a, r.party_b, parse_grants(g for g in r.grants.split(",") if g))
        for r in rows
    ]


def load_agreements(session: Any) -> Agreements:
    return Agreements(list_agreements(session))


def policy_of(session: Any, operators: frozenset[str] = frozenset()) -> DisclosurePolicy:
    """The disclosure policy as of this transaction."""
    return DisclosurePolicy(load_agreements(session), operators)


def save_agreement(session: Any, agreement: Agreement, by: str, at: datetime | None = None) -> None:
    """Set the pair's grants to exactly ``agreement.grants``; no grants removes the row."""
    conn = connection_of(session)
    key = (t.c.party_a == agreement.a) & (t.c.party_b == agreement.b)
    if not agreement.grants:
        conn.execute(delete(t).where(key))
        return
    values = {
        "grants": ",".join(sorted(g.value for g in agreement.grants)),
        "updated_us": to_us(at or datetime.now(UTC)),
        "updated_by": by,
    }
    if conn.execute(update(t).where(key).values(**values)).rowcount == 0:
        conn.execute(insert(t).values(party_a=agreement.a, party_b=agreement.b, **values))
