"""One tactical picture behind several replicas (issue 19).

Reports may reach any replica; each replica's ``LivePicture`` must see all of them. A
replica shares what a party submitted to it (the reports its picture accepted, after
its checks) over the picture bus (``store/picture_bus.py``: PostgreSQL LISTEN/NOTIFY),
and takes what the others share into its own picture with ``LivePicture.ingest``, so
every picture holds every track and runs the same detection. Acknowledgements travel
the same way, so an alert shows as acknowledged whichever replica is asked.

What the replicas do not share is the alert events: each picture detects each conflict,
and the shared ``tactical_alerts`` table lets the events out once (``store/
tactical_alerts.py``), through the outbox, so they survive a database outage.

SQLite serves one process: nothing to share, no bus.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from deconflict.store.picture_bus import MAX_PAYLOAD, Message, PictureBus
from deconflict.store.sql import SqlStore
from deconflict.tactical.live import LivePicture, PositionReport

log = logging.getLogger(__name__)

_ENVELOPE = 200
"""Bytes a message takes besides its reports (kind, party, origin), generously."""


class SyncWiring(Protocol):
    """What the sync reads of the service, at call time (``Services``)."""

    @property
    def store(self) -> SqlStore: ...

    @property
    def live(self) -> LivePicture: ...


def report_row(r: PositionReport) -> list[Any]:
    """A report as a compact JSON row (microsecond time, as the store keeps times)."""
    t_us = int(r.time.timestamp() * 1_000_000)
    return [r.id, t_us, r.lat, r.lon, r.alt_m, r.vn_mps, r.ve_mps, r.vs_mps, r.operation]


def report_of(party: str, row: Sequence[Any]) -> PositionReport:
    """``report_row`` read back; validated again by ``PositionReport`` itself."""
    rid, t_us, lat, lon, alt, vn, ve, vs, op = row
    time = datetime.fromtimestamp(int(t_us) / 1_000_000, UTC)
    return PositionReport(str(rid), party, time, float(lat), float(lon), float(alt), vn, ve, vs, op)


def report_messages(party: str, reports: Sequence[PositionReport]) -> Iterator[Message]:
    """The reports in as few messages as fit the bus's payload limit."""
    import orjson

    rows: list[list[Any]] = []
    size = _ENVELOPE + len(party.encode())
    for r in reports:
        row = report_row(r)
        n = len(orjson.dumps(row)) + 1
        if rows and size + n > MAX_PAYLOAD:
            yield {"kind": "reports", "party": party, "reports": rows}
            rows, size = [], _ENVELOPE + len(party.encode())
        rows.append(row)
        size += n
    if rows:
        yield {"kind": "reports", "party": party, "reports": rows}


class PictureSync:
    """Shares this replica's reports and acknowledgements, and applies the others'."""

    def __init__(self, wiring: SyncWiring) -> None:
        self._wiring = wiring
        store = wiring.store
        self.bus = PictureBus(store, self.apply) if store.is_postgresql else None

    def start(self) -> None:
        if self.bus is not None:
            self.bus.start()

    def stop(self) -> None:
        if self.bus is not None:
            self.bus.stop()

    def share_reports(self, party: str, reports: Sequence[PositionReport]) -> None:
        if self.bus is not None:
            for message in report_messages(party, reports):
                self.bus.send(message)

    def share_ack(self, party: str, alert_id: int) -> None:
        if self.bus is not None:
            self.bus.send({"kind": "ack", "party": party, "alert": alert_id})

    def apply(self, message: Message) -> None:
        """A message from another replica, into this replica's picture."""
        live = self._wiring.live
        party = str(message.get("party", ""))
        if message.get("kind") == "reports":
            reports = [report_of(party, row) for row in message.get("reports", [])]
            live.ingest(party, reports)
        elif message.get("kind") == "ack":
            live.acknowledged_elsewhere(party, int(message["alert"]))
