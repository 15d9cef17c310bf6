"""``check_raw`` reads a plan file in chunks with worker processes, and says the same."""

from __future__ import annotations

import io

import orjson
import pytest

from deconflict.cli.check import check_raw, report_json
from deconflict.errors import InvalidInput
from deconflict.synth import write_plan


def plan_bytes(operations: int, seed: int) -> bytes:
    buffer = io.BytesIO()
    write_plan(buffer, operations, seed)
    return buffer.getvalue()


def test_chunks_and_workers_give_the_report_of_one_process_reading_the_whole_file() -> None:
    raw = plan_bytes(3000, seed=12)
    alone = report_json(check_raw(raw, workers=1, chunks=False))
    spread = report_json(check_raw([raw], workers=2))
    assert alone["conflicts"], "the plan should hold some conflicts to compare"
    assert spread == alone


def test_an_invalid_feature_is_reported_alike_whether_chunks_were_tried_or_not() -> None:
    lines = plan_bytes(400, seed=5).split(b"\n")
    feature = orjson.loads(lines[300].rstrip(b","))
    feature["properties"]["time_end"] = "2026-07-01T05:00:00"  # no zone
    lines[300] = orjson.dumps(feature) + b","
    raw = b"\n".join(lines)
    messages = []
    for chunks in (True, False):
        with pytest.raises(InvalidInput) as caught:
            check_raw(raw, workers=2, chunks=chunks)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "features[299].properties.time_end" in messages[0]
