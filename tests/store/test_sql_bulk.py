"""One statement for a creation's rows (``store/bulk.py``) writes exactly the rows that
one insert per table writes, on every engine; and the reads that replaced several
round trips with one answer as the ones they replaced."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from deconflict.geo.footprint import Circle
from deconflict.store.bulk import insert_rows
from deconflict.store.schema import operations, volume_cells, volumes
from deconflict.store.schema_dss import dss_intents, native_intents
from deconflict.store.sql import SqlStore

from ..core.factories import operation, square, volume


def _operation(op_id: str) -> dict[str, Any]:
    return {
        "id": op_id,
        "party": "alpha",
        "priority": 0,
        "state": "accepted",
        "version": 1,
        "time_start_us": 0,
        "time_end_us": 10,
        "altitude_lower_m": 0,  # an int in a float column, beside floats below
        "altitude_upper_m": 120.5,
        "details": "{}",
        "created_us": 1,
        "updated_us": 1,
    }


def _volume(op_id: str, idx: int) -> dict[str, Any]:
    return {
        "operation_id": op_id,
        "idx": idx,
        "time_start_us": idx,
        "time_end_us": idx + 10,
        "altitude_lower_m": float(idx),
        "altitude_upper_m": 50,
        "footprint": f"footprint {idx}",
    }


def _rows(store: SqlStore, table: Any) -> list[tuple[Any, ...]]:
    with store.session() as s:
        return sorted(tuple(r) for r in s.conn.execute(select(table)))


def test_rows_of_several_tables_and_their_children_land_as_given(store: SqlStore) -> None:
    cells = [{"cell": -(2**62) + k, "operation_id": "a", "idx": k % 2} for k in range(5)]
    intent = {"operation_id": "a", "ovn": "o", "uss_base_url": "u", "subscription_id": None}
    with store.session(write=True) as s:
        insert_rows(
            s.conn,
            [
                (operations, [_operation("a")]),
                (volumes, [_volume("a", 0), _volume("a", 1)]),
                (volume_cells, cells),
                (dss_intents, [intent]),
                (native_intents, []),  # nothing to write: left out
            ],
        )
    assert _rows(store, operations) == [
        ("a", "alpha", 0, "accepted", 1, 0, 10, 0.0, 120.5, "{}", 1, 1)
    ]
    assert _rows(store, volumes) == [
        ("a", 0, 0, 10, 0.0, 50.0, "footprint 0"),
        ("a", 1, 1, 11, 1.0, 50.0, "footprint 1"),
    ]
    assert _rows(store, volume_cells) == sorted((c["cell"], "a", c["idx"]) for c in cells)
    assert _rows(store, dss_intents) == [("a", "o", "u", None)]


def test_a_child_without_its_parent_fails_the_whole_statement(store: SqlStore) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), store.session(write=True) as s:
        insert_rows(s.conn, [(operations, [_operation("a")]), (volumes, [_volume("b", 0)])])
    assert _rows(store, operations) == []


def test_rows_of_one_table_must_name_the_same_columns(store: SqlStore) -> None:
    other = {**_volume("a", 1)}
    del other["footprint"]
    writes = [(operations, [_operation("a")]), (volumes, [_volume("a", 0), other])]
    with pytest.raises(ValueError, match="volumes"), store.session(write=True) as s:
        insert_rows(s.conn, writes)
    assert _rows(store, operations) == []


def test_an_operation_written_in_one_statement_reads_back_whole(store: SqlStore) -> None:
    op = operation("a", volume(square(1, 2)), volume(Circle(3.0, 4.0, 50.0), 10, 20, 5, 6))
    with store.session(write=True) as s:
        s.put(op)
        s.put(operation("b", volume(square(1.001, 2))), native=False)
    with store.session() as s:
        got = s.get_many(["b", "missing", "a"])
        assert [g.operation for g in got] == [op, operation("b", volume(square(1.001, 2)))]
        assert s.get_or_native("a")[0] == got[0]
        assert s.get_or_native("missing") == (None, None)
        (native,) = s.conn.execute(select(native_intents.c.intent_id)).scalars()
        assert s.get_or_native(native) == (None, "a")
        assert not s.exists("missing")
        assert {c.operation.id for c in s.candidates(volume(square(1, 2)))} == {"a", "b"}
