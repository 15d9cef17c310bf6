"""The store: round trips, versions, candidate search and transactions, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from deconflict.core.ports import OperationQuery
from deconflict.geo.footprint import Circle
from deconflict.model.operation import OperationState
from deconflict.store.schema import metadata
from deconflict.store.sql import SqlStore
from tests.core.factories import operation, square, volume


def test_an_operation_round_trips_with_its_volumes_and_details(store: SqlStore) -> None:
    op = operation("a", volume(square(1, 2)), volume(Circle(3.0, 4.0, 50.0), 10, 20, 5, 6))
    op.details["callsign"] = "EAGLE1"
    with store.session(write=True) as s:
        s.put(op)
    with store.session() as s:
        got = s.get("a")
    assert got is not None
    assert got.operation == op
    assert got.operation.details == {"callsign": "EAGLE1"}


def test_each_write_increments_the_version(store: SqlStore) -> None:
    op = operation("a", volume(square(1, 2)))
    with store.session(write=True) as s:
        assert s.put(op).version == 1
        assert s.put(op).version == 2


def test_candidates_include_an_overlapping_operation(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2))))
    with store.session() as s:
        assert [c.operation.id for c in s.candidates(volume(square(1.005, 2.005)))] == ["a"]


@pytest.mark.parametrize(
    "probe",
    [
        volume(square(10, 20)),  # elsewhere
        volume(square(1, 2), t0=601, t1=700),  # later
        volume(square(1, 2), lo=100.5, hi=200),  # above
    ],
)
def test_candidates_exclude_operations_apart_in_space_time_or_altitude(
    store: SqlStore, probe: object
) -> None:
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2))))
    with store.session() as s:
        assert s.candidates(probe) == []  # type: ignore[arg-type]


def test_ended_operations_are_not_candidates(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2)), state=OperationState.ENDED))
    with store.session() as s:
        assert s.candidates(volume(square(1, 2))) == []


def test_replacing_an_operation_moves_its_cells(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2))))
        s.put(operation("a", volume(square(50, 2))))
    with store.session() as s:
        assert s.candidates(volume(square(1, 2))) == []
        assert len(s.candidates(volume(square(50, 2)))) == 1


def test_exists_answers_for_stored_written_and_deleted_ids_alike(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("stored", volume(square(1, 1))))
    with store.session(write=True) as s:
        assert (s.exists("stored"), s.exists("nowhere")) == (True, False)
        assert s.get("new") is None and not s.exists("new")
        s.put(operation("new", volume(square(2, 2))))
        assert s.exists("new")
        s.delete("stored")
        assert not s.exists("stored")


def test_a_failed_session_leaves_nothing_behind(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2))))
        raise RuntimeError("boom")
    with store.session() as s:
        assert s.get("a") is None
        assert s.candidates(volume(square(1, 2))) == []


def test_delete_removes_the_operation_and_its_index(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2))))
        assert s.delete("a")
        assert not s.delete("a")
    with store.session() as s:
        assert s.candidates(volume(square(1, 2))) == []


def test_query_filters_by_party(store: SqlStore) -> None:
    with store.session(write=True) as s:
        s.put(operation("a", volume(square(1, 2)), party="alpha"))
        s.put(operation("b", volume(square(1, 2)), party="beta"))
    with store.session() as s:
        assert [x.operation.id for x in s.query(OperationQuery(party="beta"))] == ["b"]
        assert [x.operation.id for x in s.query(OperationQuery(area=volume(square(1, 2))))] == [
            "a",
            "b",
        ]


def test_migrations_create_exactly_the_schema_the_code_uses(store: SqlStore) -> None:
    found = inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in found.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}
