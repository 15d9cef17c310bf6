"""Reports shared between replicas: cut to NOTIFY's payload limit, read back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from deconflict.service.picture_sync import report_messages, report_of
from deconflict.store.picture_bus import MAX_PAYLOAD
from deconflict.tactical.live import PositionReport

T = datetime(2030, 7, 1, 10, 5, 1, 123456, tzinfo=UTC)


def reports(n: int) -> list[PositionReport]:
    return [
        PositionReport(
            f"CALLSIGN-{k:05d}",
            "alpha",
            T,
            45.123456789,
            -3.5 + k * 1e-6,
            1234.5,
            1.5,
            -2.25,
            0.5,
            f"op-{k}" if k % 2 else None,
        )
        for k in range(n)
    ]


def test_a_large_batch_is_cut_into_messages_within_the_payload_limit() -> None:
    messages = list(report_messages("alpha", reports(500)))
    assert len(messages) > 1
    for m in messages:
        payload = orjson.dumps({**m, "origin": "0" * 32})
        assert len(payload) <= MAX_PAYLOAD
    assert sum(len(m["reports"]) for m in messages) == 500


def test_a_shared_report_reads_back_as_it_was_sent() -> None:
    sent = reports(3)
    [message] = report_messages("alpha", sent)
    wire = orjson.loads(orjson.dumps(message))
    assert [report_of("alpha", row) for row in wire["reports"]] == sent
