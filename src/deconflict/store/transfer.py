"""Export and import as JSON Lines: backups, and moves between SQLite and PostgreSQL.

The file speaks the domain, not the tables, for operations: one operation per line with
its volumes, version and timestamps, so that it reads like the API and survives
changes to the cell index. The cell index is never exported; import recomputes it from
the footprints, which also re-validates every footprint on the way in.

DSS rows (subscriptions, constraints, USS availability, reports) carry no domain model
of their own here and are written as their table rows, with their cell sets nested
(subscriptions keep no area other than their cells, so the cells *are* the data).
An operational intent's ``dss_intents`` row rides on its operation's line.

Layout::

    {"format": "deconflict-export", "version": 1, "schema": "0002", "counts": {...}}
    {"kind": "dss_subscriptions", "row": {...}, "cells": [...]}      (first: intents refer to them)
    {"kind": "operation", "id": ..., "volumes": [...], "dss": {...}}
    {"kind": "dss_constraints", "row": {...}, "cells": [...]}
    {"kind": "dss_uss_availability", "row": {...}}
    {"kind": "dss_reports", "row": {...}}
    {"kind": "table:notify_outbox", "row": {...}}                     (every other table, as rows)
    {"kind": "end", "counts": {...}}

The closing ``end`` line lets import tell a complete file from a truncated one.
Import goes into an empty database in ONE transaction: it either lands whole or not at
all, so a failed import never leaves a half-restored database behind.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, Table, func, insert, inspect, select, text

from deconflict.errors import InvalidInput, TransferError
from deconflict.geo.covering import cells_of
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.model.times import parse_time, rfc3339
from deconflict.store.codec import footprint_from_text, from_us, to_us, volume_row
from deconflict.store.integrity import current_revision, operation_pages, snapshot
from deconflict.store.schema import operations, volume_cells, volumes
from deconflict.store.sql import SqlStore

FORMAT = "deconflict-export"
VERSION = 1
BATCH = 500
"""Records per round of inserts: one executemany per table per round."""

Progress = Callable[[int, int], None]
"""Called as ``progress(records_done, records_total)``."""

OPERATION = "operation"


def _dss_tables() -> list[tuple[Table, Table | None, str | None]]:
    """DSS tables in import order, with their cell table and its foreign-key column."""
    from deconflict.store.schema_dss import (
        constraint_cells,
        dss_constraints,
        dss_reports,
        dss_subscriptions,
        dss_uss_availability,
        subscription_cells,
    )

    return [
        (dss_subscriptions, subscription_cells, "subscription_id"),
        (dss_constraints, constraint_cells, "constraint_id"),
        (dss_uss_availability, None, None),
        (dss_reports, None, None),
    ]


def _dss_intents() -> Table:
    from deconflict.store.schema_dss import dss_intents

    return dss_intents


TABLE = "table:"
"""Kind prefix of a plain table row (tables with no special treatment here)."""


def _other_tables(conn: Connection) -> list[Table]:
    """Every other table of the schema present in the database, parents first.

    Tables added by later migrations (the notification outbox, party event logs,
    constraints and agreed zones, ...) travel as plain rows, so an export stays complete
    without this module knowing them: it loads every ``deconflict.store.schema*``
    module to learn the whole schema.
    """
    import importlib
    import pkgutil

    import deconflict.store as package
    from deconflict.store.schema import metadata

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("schema"):
            importlib.import_module(f"deconflict.store.{info.name}")
    # The service's own secrets stay with the database that made them: a moved
    # database makes its own (native OVNs then change, which only makes USSs re-fetch).
    handled = {"operations", "volumes", "volume_cells", "dss_intents", "service_secrets"}
    for t, c, _ in _dss_tables():
        handled |= {str(t.name)} | ({str(c.name)} if c is not None else set())
    present = set(inspect(conn).get_table_names())
    return [t for t in metadata.sorted_tables if t.name in present and str(t.name) not in handled]


def _plain_lines(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    kind = TABLE + str(table.name)
    for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
        yield {"kind": kind, "row": {str(k): v for k, v in row._mapping.items()}}


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Move PostgreSQL's sequences past the imported ids (SQLite does this by itself):
    otherwise the next row the service adds to e.g. the outbox reuses an imported id.
    CockroachDB's SERIAL draws from ``unique_rowid()``, not a sequence: its new ids are
    far above any imported one."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        col = t.autoincrement_column
        if col is None:
            continue
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:t, :c), "
                f"COALESCE((SELECT MAX({col.name}) FROM {t.name}), 0) + 1, false)"
            ),
            {"t": str(t.name), "c": str(col.name)},
        )


def _has_dss(conn: Connection) -> bool:
    return "dss_intents" in set(inspect(conn).get_table_names())


def _parse_time(text: Any, field: str) -> int:
    return to_us(parse_time(text, field).astimezone(UTC))


def _time(us: int) -> str:
    """RFC 3339 with all six fractional digits: exact to the stored microsecond."""
    return from_us(us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ------------------------------------------------------------------------------ export


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _operation_lines(conn: Connection, dss: bool) -> Iterator[dict[str, Any]]:
    """Operations in id order, a page at a time (keyset pagination)."""
    intents = _dss_intents() if dss else None
    for page in operation_pages(conn, BATCH):
        ids = [r.id for r in page]
        vols: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        q = (
            select(volumes)
            .where(volumes.c.operation_id.in_(ids))
            .order_by(volumes.c.operation_id, volumes.c.idx)
        )
        for v in conn.execute(q):
            vols[v.operation_id].append(
                {
                    "footprint": orjson.loads(v.footprint),
                    "altitude_lower_m": v.altitude_lower_m,
                    "altitude_upper_m": v.altitude_upper_m,
                    "time_start": _time(v.time_start_us),
                    "time_end": _time(v.time_end_us),
                }
            )
        extra: dict[str, dict[str, Any]] = {}
        if intents is not None:
            for d in conn.execute(select(intents).where(intents.c.operation_id.in_(ids))):
                extra[d.operation_id] = {
                    str(k): v for k, v in d._mapping.items() if k != "operation_id"
                }
        for r in page:
            line: dict[str, Any] = {
                "kind": OPERATION,
                "id": r.id,
                "party": r.party,
                "priority": r.priority,
                "state": r.state,
                "version": r.version,
                "created": _time(r.created_us),
                "updated": _time(r.updated_us),
                "details": orjson.loads(r.details),
                "volumes": vols[r.id],
            }
            if r.id in extra:
                line["dss"] = extra[r.id]
            yield line


def _table_lines(
    conn: Connection, table: Table, cells: Table | None, fk: str | None
) -> Iterator[dict[str, Any]]:
    key = next(iter(table.primary_key.columns))
    for row in conn.execute(select(table).order_by(key)):
        line: dict[str, Any] = {
            "kind": str(table.name),
            "row": {str(k): v for k, v in row._mapping.items()},
        }
        if cells is not None and fk is not None:
            q = select(cells.c.cell).where(cells.c[fk] == row._mapping[key.name])
            line["cells"] = sorted(c[0] for c in conn.execute(q))
        yield line


def export_jsonl(
    store: SqlStore, stream: IO[bytes], progress: Progress | None = None
) -> dict[str, int]:
    """Write every operation (and DSS row) to ``stream``; returns the count of each kind.

    Everything is read from one snapshot, so the file is a consistent point in time
    even while the service keeps writing.
    """
    with snapshot(store) as conn:
        dss = _has_dss(conn)
        counts = {OPERATION: _count(conn, operations)}
        tables = _dss_tables() if dss else []
        for table, _, _ in tables:
            counts[str(table.name)] = _count(conn, table)
        others = _other_tables(conn)
        for table in others:
            counts[TABLE + str(table.name)] = _count(conn, table)
        total = sum(counts.values())
        header = {
            "format": FORMAT,
            "version": VERSION,
            "schema": current_revision(conn),
            "exported": rfc3339(datetime.now(UTC)),
            "dss": dss,
            "counts": counts,
        }
        stream.write(orjson.dumps(header) + b"\n")
        done = 0
        seen = dict.fromkeys(counts, 0)

        def emit(line: dict[str, Any]) -> None:
            nonlocal done
            stream.write(orjson.dumps(line) + b"\n")
            seen[line["kind"]] += 1
            done += 1
            if progress is not None and done % BATCH == 0:
                progress(done, total)

        sections: list[Iterator[dict[str, Any]]] = []
        if tables:
            sections.append(_table_lines(conn, *tables[0]))  # subscriptions before intents
        sections.append(_operation_lines(conn, dss))
        sections.extend(_table_lines(conn, *t) for t in tables[1:])
        sections.extend(_plain_lines(conn, t) for t in others)
        for section in sections:
            for line in section:
                emit(line)
        stream.write(orjson.dumps({"kind": "end", "counts": seen}) + b"\n")
        if progress is not None:
            progress(done, total)
        return seen


# ------------------------------------------------------------------------------ import


class _Batch:
    """Rows waiting for the next round of inserts, kept per table in foreign-key order."""

    def __init__(self, order: list[Table]) -> None:
        self.order = order
        self.rows: dict[str, list[dict[str, Any]]] = {str(t.name): [] for t in order}
        self.records = 0

    def add(self, table: Table, rows: list[dict[str, Any]]) -> None:
        self.rows[table.name].extend(rows)

    def flush(self, conn: Connection) -> None:
        for table in self.order:
            rows = self.rows[table.name]
            if rows:
                conn.execute(insert(table), rows)
                rows.clear()
        self.records = 0


def _operation_rows(rec: dict[str, Any]) -> tuple[dict[str, Any], list[Volume4D]]:
    """The ``operations`` row and the validated volumes of one operation line."""
    try:
        vols = []
        for i, v in enumerate(rec["volumes"]):
            try:
                vols.append(
                    Volume4D(
                        footprint_from_text(orjson.dumps(v["footprint"]).decode()),
                        AltitudeBand(float(v["altitude_lower_m"]), float(v["altitude_upper_m"])),
                        TimeWindow(
                            from_us(_parse_time(v["time_start"], "time_start")),
                            from_us(_parse_time(v["time_end"], "time_end")),
                        ),
                    )
                )
            except InvalidInput as exc:
                raise exc.within(f"volumes[{i}]") from None
        op = Operation(
            str(rec["id"]),
            str(rec["party"]),
            int(rec["priority"]),
            OperationState(rec["state"]),
            tuple(vols),
            rec.get("details") or {},
        )
    except (KeyError, TypeError) as exc:
        raise InvalidInput("", f"malformed operation ({exc!r})") from None
    except ValueError as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput("", str(exc)) from None
    version = rec.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidInput("version", "must be an integer >= 1")
    t, a = op.time_extent, op.altitude_extent
    row = {
        "id": op.id,
        "party": op.party,
        "priority": op.priority,
        "state": op.state.value,
        "version": version,
        "time_start_us": to_us(t.start),
        "time_end_us": to_us(t.end),
        "altitude_lower_m": a.lower_m,
        "altitude_upper_m": a.upper_m,
        "details": orjson.dumps(op.details).decode(),
        "created_us": _parse_time(rec.get("created"), "created"),
        "updated_us": _parse_time(rec.get("updated"), "updated"),
    }
    return row, vols


@lru_cache(maxsize=1)
def _seed_rows() -> dict[str, frozenset[tuple[Any, ...]]]:
    """Rows the migrations themselves insert (the audit chain's genesis head, ...),
    by table: a database holding only these is new. Learned by migrating a scratch
    SQLite database, so that a migration adding seed rows needs no change here."""
    from deconflict.store.sql import open_store

    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(f"sqlite:///{Path(scratch) / 'fresh.db'}")
        try:
            with store.session() as s:
                return {
                    str(t.name): rows
                    for t in _other_tables(s.conn)
                    if (rows := frozenset(tuple(r) for r in s.conn.execute(select(t))))
                }
        finally:
            store.close()


def _is_empty(conn: Connection, dss: bool) -> bool:
    tables = [operations] + ([t for t, _, _ in _dss_tables()] if dss else [])
    tables += _other_tables(conn)
    seeds = _seed_rows()
    for t in tables:
        seed = seeds.get(str(t.name))
        if seed is None:
            if conn.execute(select(t).limit(1)).first() is not None:
                return False
        elif not {tuple(r) for r in conn.execute(select(t))} <= seed:
            return False
    return True


def _clear_seeds(conn: Connection, tables: list[Table]) -> list[Table]:
    """Remove seed rows (the file brings its own); returns the tables that had some."""
    seeds = _seed_rows()
    seeded = [t for t in tables if str(t.name) in seeds]
    for t in seeded:
        conn.execute(t.delete())
    return seeded


def _restore_seeds(conn: Connection, seeded: list[Table], seen: dict[str, int]) -> None:
    """Seed rows back in tables the file had nothing for (an export from before the
    migration that seeds them)."""
    seeds = _seed_rows()
    for t in seeded:
        if not seen.get(TABLE + str(t.name)):
            cols = [c.name for c in t.columns]
            conn.execute(
                insert(t), [dict(zip(cols, row, strict=True)) for row in seeds[str(t.name)]]
            )


def import_jsonl(
    store: SqlStore,
    stream: IO[bytes],
    progress: Progress | None = None,
) -> dict[str, int]:
    """Load an ``export_jsonl`` file into an EMPTY database, all or nothing.

    One transaction holds the whole import: any bad line, a truncated file or a count
    that does not match the ``end`` line rolls everything back and raises
    ``TransferError`` naming the line. Returns the count of each kind imported.
    """
    first = stream.readline()
    try:
        header = orjson.loads(first)
    except orjson.JSONDecodeError:
        raise TransferError("line 1: not a deconflict export (no JSON header)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise TransferError("line 1: not a deconflict export (wrong format field)")
    if header.get("version") != VERSION:
        raise TransferError(
            f"line 1: export format version {header.get('version')}; this build reads {VERSION}"
        )
    total = sum(int(n) for n in dict(header.get("counts") or {}).values())
    if progress is not None:
        progress(0, total)
    with store.session(write=True) as session:
        conn = session.conn
        dss = _has_dss(conn)
        if not _is_empty(conn, dss):
            raise TransferError("the target database is not empty; import only into a new one")
        dss_tables = _dss_tables() if dss else []
        order: list[Table] = []
        for k, (t, c, _) in enumerate(dss_tables):
            if k == 1:  # subscriptions before the intents that name them, the rest after
                order += [operations, volumes, volume_cells, _dss_intents()]
            order += [t] if c is None else [t, c]
        if not dss_tables:
            order += [operations, volumes, volume_cells]
        others = _other_tables(conn)
        seeded = _clear_seeds(conn, others)
        order += others
        plain = {TABLE + str(t.name): t for t in others}
        by_name = {str(t.name): (t, c, fk) for t, c, fk in dss_tables}
        batch = _Batch(order)
        seen: dict[str, int] = {}
        done = 0
        ended: dict[str, Any] | None = None
        lineno = 1
        for raw in stream:
            lineno += 1
            if not raw.strip():
                continue
            if ended is not None:
                raise TransferError(f"line {lineno}: data after the end line")
            try:
                rec = orjson.loads(raw)
                kind = rec["kind"]
                if kind == "end":
                    ended = rec
                    continue
                if kind == OPERATION:
                    _add_operation(batch, rec, dss)
                elif kind in by_name:
                    table, cells, fk = by_name[kind]
                    batch.add(table, [rec["row"]])
                    if cells is not None and fk is not None:
                        key = rec["row"][next(iter(table.primary_key.columns)).name]
                        batch.add(cells, [{"cell": c, fk: key} for c in rec.get("cells", [])])
                elif kind in plain:
                    batch.add(plain[kind], [rec["row"]])
                elif str(kind).startswith(TABLE):
                    raise InvalidInput("kind", f"{kind}: the target database has no such table")
                elif str(kind).startswith("dss_"):
                    raise InvalidInput("kind", f"{kind}: the target database has no DSS tables")
                else:
                    raise InvalidInput("kind", f"unknown record kind {kind!r}")
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                raise TransferError(f"line {lineno}: malformed record ({exc!r})") from None
            except InvalidInput as exc:
                raise TransferError(f"line {lineno}: {exc}") from None
            seen[kind] = seen.get(kind, 0) + 1
            done += 1
            batch.records += 1
            if batch.records >= BATCH:
                _flush(batch, conn, lineno)
                if progress is not None:
                    progress(done, total)
        _flush(batch, conn, lineno)
        _restore_seeds(conn, seeded, seen)
        _reset_sequences(conn, others)
        if ended is None:
            raise TransferError(f"line {lineno}: the file ends without its end line (truncated?)")
        expected = {k: int(v) for k, v in dict(ended.get("counts") or {}).items() if int(v)}
        if expected != seen:
            raise TransferError(f"counts {seen} do not match the end line's {expected}")
        if progress is not None:
            progress(done, total)
        return seen


def _add_operation(batch: _Batch, rec: dict[str, Any], dss: bool) -> None:
    row, vols = _operation_rows(rec)
    op_id = row["id"]
    batch.add(operations, [row])
    batch.add(volumes, [volume_row(op_id, i, v) for i, v in enumerate(vols)])
    batch.add(
        volume_cells,
        [
            {"cell": c, "operation_id": op_id, "idx": i}
            for i, v in enumerate(vols)
            for c in cells_of(v.footprint)
        ],
    )
    extra = rec.get("dss")
    if extra is not None:
        if not dss:
            raise InvalidInput("dss", "the target database has no DSS tables")
        batch.add(_dss_intents(), [{"operation_id": op_id, **extra}])


def _flush(batch: _Batch, conn: Connection, lineno: int) -> None:
    from sqlalchemy.exc import IntegrityError, StatementError

    try:
        batch.flush(conn)
    except IntegrityError as exc:
        raise TransferError(
            f"lines up to {lineno}: rejected by the database ({exc.orig}); nothing imported"
        ) from None
    except StatementError as exc:
        raise TransferError(f"lines up to {lineno}: {exc.orig}; nothing imported") from None
