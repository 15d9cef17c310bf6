"""Which alert events of a pass go out, when several replicas detect the same conflict.

Every replica sees every track (``picture_bus.py``) and runs detection, so a conflict
pair raises an alert in each of them, under ids of their own, at moments a few
milliseconds apart. ``settle`` is run in the transaction that writes the events (the
outbox of the party event streams), and decides against ``tactical_alerts``:

- ``NEW``: the first replica claims the pair's open row with its id and announces it;
  a later one adopts that id (its picture renames its alert) and announces nothing;
- ``SEVERITY_CHANGED``: announced only if the row's severity differs (the first replica
  to see the change announces it);
- ``RESOLVED``: announced by the replica that closes the open row;
- ``ACKNOWLEDGED``: comes from one request on one replica: always announced.

Two replicas settling the same pair at once conflict under SERIALIZABLE and one is
retried, so it sees the other's row. The same holds for one replica retrying after a
database outage: settling is idempotent, which is what lets alerts detected while the
database was down go out when it is back (``service/live_picture.py``).

An open row untouched for ``STALE_OPEN_S`` is taken as left behind by replicas that
all stopped before the alert resolved; it is closed, not adopted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from deconflict.store.schema_tactical import tactical_alerts
from deconflict.tactical.alerts import EventKind
from deconflict.tactical.live import track_key
from deconflict.tactical.views import AlertNotice

STALE_OPEN_S = 3600.0

_OPEN = select(tactical_alerts).where(
    tactical_alerts.c.pair == bindparam("pair"), tactical_alerts.c.open.is_(True)
)
_INSERT = insert(tactical_alerts)
_SET = update(tactical_alerts).where(tactical_alerts.c.alert_id == bindparam("id"))


def pair_of(notice: AlertNotice) -> str:
    """The conflict pair a notice is about, the same from either party's side."""
    own = track_key(notice.party, notice.view.own)
    other = track_key(notice.other_party, notice.other_id)
    a, b = sorted((own, other))
    return hashlib.sha256(f"{a}\x01{b}".encode()).hexdigest()


def settle(
    session: Any, notices: Sequence[AlertNotice]
) -> tuple[list[AlertNotice], dict[int, int]]:
    """(the notices to announce, under the agreed ids; local id -> agreed id)."""
    conn = session.conn
    now_us = int(time.time() * 1_000_000)
    out: list[AlertNotice] = []
    adopted: dict[int, int] = {}
    decided: dict[tuple[str, EventKind, int], tuple[bool, int]] = {}
    for n in notices:
        local = n.view.alert_id
        key = (pair_of(n), n.kind, local)
        if key not in decided:
            decided[key] = _decide(conn, key[0], n, now_us)
        announce, agreed = decided[key]
        if agreed != local:
            adopted[local] = agreed
            n = replace(n, view=replace(n.view, alert_id=agreed))
        if announce:
            out.append(n)
    return out, adopted


def _decide(conn: Any, pair: str, n: AlertNotice, now_us: int) -> tuple[bool, int]:
    """(announce?, agreed id) for the first notice of one alert event."""
    local = n.view.alert_id
    severity = n.view.severity.name.lower()
    row = conn.execute(_OPEN, {"pair": pair}).first()
    if row is not None and now_us - row.updated_us > STALE_OPEN_S * 1_000_000:
        conn.execute(_SET, {"id": row.alert_id, "open": False, "updated_us": now_us})
        row = None
    if n.kind is EventKind.ACKNOWLEDGED:
        return True, local if row is None else row.alert_id
    if row is None:
        if n.kind is EventKind.RESOLVED:
            return False, local  # closed already, by whichever replica saw it first
        conn.execute(
            _INSERT,
            {
                "alert_id": local,
                "pair": pair,
                "severity": severity,
                "open": True,
                "updated_us": now_us,
            },
        )
        return True, local
    agreed = row.alert_id
    if n.kind is EventKind.NEW:
        conn.execute(_SET, {"id": agreed, "updated_us": now_us})
        return False, agreed
    if n.kind is EventKind.RESOLVED:
        conn.execute(_SET, {"id": agreed, "open": False, "updated_us": now_us})
        return True, agreed
    if row.severity == severity:
        return False, agreed
    conn.execute(_SET, {"id": agreed, "severity": severity, "updated_us": now_us})
    return True, agreed
