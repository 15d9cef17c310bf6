"""Sharing agreements in the store: read whole per request, written by the operator.

Reads happen inside the caller's transaction, so what a response discloses is decided
by the agreements as they stood when its data was read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from deconflict.access.agreements import Agreement, Agreements, parse_grants
from deconflict.access.grants import PartyGrant
from deconflict.access.policy import DisclosurePolicy
from deconflict.audit.entry import AGREEMENT, AuditEntry
from deconflict.store.audit import append_audit
from deconflict.store.codec import to_us
from deconflict.store.schema_sharing import party_grants as g
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


def grant_of(session: Any, party: str) -> PartyGrant:
    """The party's grant as of this transaction; the defaults when none is recorded."""
    row = connection_of(session).execute(select(g).where(g.c.party == party)).first()
    return PartyGrant(party) if row is None else _grant(row)


def list_grants(session: Any) -> list[PartyGrant]:
    """Every grant recorded (parties not listed have the defaults)."""
    return [_grant(r) for r in connection_of(session).execute(select(g).order_by(g.c.party))]


def save_grant(session: Any, grant: PartyGrant, by: str, at: datetime | None = None) -> None:
    """Record ``grant``; a grant equal to the defaults removes the party's row."""
    conn = connection_of(session)
    key = g.c.party == grant.party
    if grant.is_default:
        conn.execute(delete(g).where(key))
        return
    values = {
        "priority_min": grant.priority_min,
        "priority_max": grant.priority_max,
        "off_nominal": grant.off_nominal,
        "updated_us": to_us(at or datetime.now(UTC)),
        "updated_by": by,
    }
    if conn.execute(update(g).where(key).values(**values)).rowcount == 0:
        conn.execute(insert(g).values(party=grant.party, **values))


def change_grant(session: Any, grant: PartyGrant, by: str) -> PartyGrant:
    """Record ``grant`` with an audit entry for its party saying what it was before, so
    the party can learn from its export when its grant changed and who changed it."""
    before = grant_of(session, grant.party)
    save_grant(session, grant, by=by)
    detail = {"before": grant_json(before), "after": grant_json(grant)}
    append_audit(session, [AuditEntry(AGREEMENT, by, grant.party, "grant", grant.party, detail)])
    return grant


def grant_json(grant: PartyGrant) -> dict[str, Any]:
    return {
        "party": grant.party,
        "priority_min": grant.priority_min,
        "priority_max": grant.priority_max,
        "off_nominal": grant.off_nominal,
    }


def _grant(row: Any) -> PartyGrant:
    return PartyGrant(row.party, row.priority_min, row.priority_max, bool(row.off_nominal))
