"""``deconflict check FILE``: deconflict a whole plan offline, no server needed.

Exit codes: 0 no conflict, 1 conflicts found, 2 invalid input (message on stderr naming
the feature index, its operation and the field; nothing on stdout), 3 an internal error
(a fault in deconflict, not in the plan: said so on stderr, with the traceback).
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from deconflict.cli.check_table import Column, Row, plain_table
from deconflict.cli.consoles import error_console
from deconflict.cli.wording import counted
from deconflict.core.batch import BatchReport, PlanPool, Shapes, check_columns, volume_shapes
from deconflict.core.constraints import check_plan_airspace
from deconflict.equal_priority import EqualPriorityPolicy
from deconflict.errors import InternalError, InvalidInput
from deconflict.io.airspace import Airspace, load_airspace
from deconflict.io.plan_columns import read_plan_columns, read_raw_columns
from deconflict.model.columns import PlanColumns, micros

PROGRESS_FROM_FEATURES = 5_000
KEEP_FREED_BYTES = 256 << 20
"""Freed memory the command's processes keep for reuse (``keep_freed_memory``)."""
_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
INTERNAL_ERROR = InternalError.exit_code
"""Anything escaping that is not the input's is ours (``errors.py``: exit 3)."""


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


def report_json(report: BatchReport, airspace: bool = False) -> dict[str, Any]:
    """``airspace``: constraints were given, so ``constraint_conflicts`` is reported."""
    out: dict[str, Any] = {
        "operations": report.operations,
        "volumes": report.volumes,
        "conflicts": [c.to_json() for c in report.conflicts],
    }
    if airspace:
        out["constraint_conflicts"] = [c.to_json() for c in report.airspace]
    return out


def keep_freed_memory() -> bool:
    """Has glibc's allocator keep freed memory (up to ``KEEP_FREED_BYTES`` at the top of
    the heap, blocks up to that size from the heap rather than their own mappings) for
    the next allocation instead of handing it back to the kernel at once. Each chunk of
    the plan is decoded into tens of megabytes of objects, freed, and the next chunk's
    took the same pages again from the kernel, zeroed: 390,000 page faults and 0.9 CPU-s
    of system time at 100,000 operations, half of it saved (measured with the
    environment's ``MALLOC_*_THRESHOLD_``). Set in the command's process before the
    workers are forked, which inherit it. False where the C library has no
    ``mallopt`` (not glibc): nothing changes there but the speed."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    trim = mallopt(_M_TRIM_THRESHOLD, KEEP_FREED_BYTES)
    return bool(trim and mallopt(_M_MMAP_THRESHOLD, KEEP_FREED_BYTES))


def ended_operations(cols: PlanColumns, now: datetime) -> list[str]:
    """Ids of the operations all of whose volumes end before ``now``."""
    latest = cols.end_of_operations()
    has_volume = latest > np.iinfo(np.int64).min
    ended = np.flatnonzero(has_volume & (latest < micros(now)))
    return [cols.op_ids[op] for op in ended.tolist()]


def check_raw(
    raw: bytes | list[bytes],
    policy: EqualPriorityPolicy = EqualPriorityPolicy.REJECT,
    workers: int | None = None,
    read: Callable[[int], None] | None = None,
    tested: Callable[[int, int], None] | None = None,
    airspace: Airspace | None = None,
    mark: Callable[[str], None] | None = None,
    ended: Callable[[list[str], int], None] | None = None,
    chunks: bool = True,
    draw: bool = True,
) -> BatchReport:
    """A plan file's bytes to its report, as fast as this machine allows.

    The file is read in chunks by worker processes when it is laid out one feature per
    line (``io.plan_columns.read_raw_columns``), else whole; ``chunks=False`` reads it
    whole regardless (benchmarks compare the two).
    ``draw=False``: overlaps without their GeoJSON, for the table, which shows none
    (drawing them was a fifth of the check's CPU at 100,000 operations).
    ``mark(phase)`` is called as each phase ends (benchmarks time them).
    ``ended(ids, operations)`` gets the operations whose every volume ends before now.
    ``raw`` handed over in a one-item list is taken out of it, and let go once read:
    the file's bytes are then not held while the plan is checked (a gigabyte at a
    million operations).

    Raises ``InvalidInput`` (bad plan, with the feature and field) or
    ``orjson.JSONDecodeError``. The cyclic garbage collector is paused meanwhile: a plan
    becomes millions of small acyclic objects, which it would walk again and again as
    they are allocated (parsing is four times slower with it, measured).
    """
    if isinstance(raw, list):
        raw = raw.pop()
    enabled = gc.isenabled()
    gc.disable()
    try:
        workers = workers or os.cpu_count() or 1
        with PlanPool(workers) as pool:
            shapes = None
            bulk = read_raw_columns(raw, workers, read, volume_shapes) if chunks else None
            if bulk is not None:
                cols, parts = bulk
                shapes = Shapes.concatenate(parts) if parts else None
                if mark is not None:
                    mark("read in chunks")
            else:
                # Not one feature per line, or invalid: read whole, as the authority.
                data = orjson.loads(raw)
                if mark is not None:
                    mark("JSON parse")
                cols = read_plan_columns(data, read, pool.invalid_polygons, settle=False)
                del data  # held by the pending polygon checks until they are settled
                if mark is not None:
                    mark("features to columns")
            del raw
            if ended is not None:
                ended(ended_operations(cols, datetime.now(UTC)), len(cols.op_ids))
            report = check_columns(cols, policy, tested, pool, mark, shapes, draw)
            if airspace is not None:
                found = check_plan_airspace(
                    cols,
                    airspace.constraints,
                    airspace.zones,
                    lambda v: cols.built.get(v) or cols.footprint(v),
                )
                report = replace(report, airspace=found)
                if mark is not None:
                    mark("constraints and zones")
        if mark is not None:
            mark("worker shutdown")
        return report
    finally:
        if enabled:
            gc.enable()


def run_check(
    path: Path,
    fmt: Format = Format.TABLE,
    policy: EqualPriorityPolicy = EqualPriorityPolicy.REJECT,
    out: Console | None = None,
    constraints: Path | None = None,
) -> int:
    """The whole command; returns the exit code.

    Only ``InvalidInput`` about the plan or the constraints file, unreadable files and
    bad JSON are the user's (exit 2); anything else escaping is ours (exit 3), never
    dressed as invalid input nor mistaken for exit 1, "conflicts found".
    """
    err = error_console()
    try:
        return _run_check(path, fmt, policy, out or Console(soft_wrap=True), constraints, err)
    except Exception as exc:  # every failure that is not the input's is ours
        err.print(
            f"[red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "This is a fault in deconflict, not in the plan; please report it with the "
            "traceback below.",
            highlight=False,
        )
        err.print(traceback.format_exc(), markup=False, highlight=False)
        return INTERNAL_ERROR


def _run_check(
    path: Path,
    fmt: Format,
    policy: EqualPriorityPolicy,
    out: Console,
    constraints: Path | None,
    err: Console,
) -> int:
    keep_freed_memory()
    try:
        raw = path.read_bytes() if str(path) != "-" else sys.stdin.buffer.read()
    except OSError as exc:
        err.print(f"[red]error:[/] cannot read {escape(str(path))}: {escape(str(exc.strerror))}")
        return 2
    airspace = None
    if constraints is not None:
        try:
            airspace = load_airspace(constraints.read_bytes())
        except OSError as exc:
            err.print(
                f"[red]error:[/] cannot read {escape(str(constraints))}: "
                f"{escape(str(exc.strerror))}"
            )
            return 2
        except InvalidInput as exc:
            err.print(f"[red]invalid constraints:[/] {escape(str(exc))}", highlight=False)
            return exc.exit_code
    features = raw.count(b'"Feature"')
    plan = [raw]  # check_raw takes the bytes from here and lets them go once read
    del raw
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=features < PROGRESS_FROM_FEATURES,
    ) as progress:
        parsing = progress.add_task("reading plan", total=features)
        testing = progress.add_task("reporting conflicts", total=None, visible=False)

        def tested(done: int, total: int) -> None:
            progress.update(testing, completed=done, total=total, visible=True)

        def warn_ended(ids: list[str], operations: int) -> None:
            # A past plan may be checked on purpose (a replay); more often the dates are
            # a mistake, and the service would refuse them.
            if ids:
                shown = ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")
                err.print(
                    f"[yellow]warning:[/] {len(ids)} of {counted(operations, 'operation')} "
                    f"end before now ({escape(shown)}): checked all the same.",
                    highlight=False,
                )

        try:
            report = check_raw(
                plan,
                policy,
                read=lambda n: progress.advance(parsing, n),
                tested=tested,
                airspace=airspace,
                ended=warn_ended,
                draw=fmt is Format.JSON,  # the table shows no geometry
            )
        except orjson.JSONDecodeError as exc:
            progress.stop()
            err.print(f"[red]invalid plan:[/] not valid JSON: {escape(str(exc))}", highlight=False)
            return 2
        except InvalidInput as exc:
            progress.stop()
            err.print(f"[red]invalid plan:[/] {escape(str(exc))}", highlight=False)
            return exc.exit_code
    if fmt is Format.JSON:
        sys.stdout.buffer.write(orjson.dumps(report_json(report, airspace is not None)) + b"\n")
        sys.stdout.flush()
    else:
        _print_table(report, out)
        if airspace is not None:
            _print_airspace(report, out)
    return 1 if report.conflicts or report.airspace else 0


CONFLICT_COLUMNS = [
    Column("operations (party)", no_wrap=True),
    Column("verdict"),
    Column("volumes", "center"),
    Column("when (UTC)", no_wrap=True),
    Column("altitude m", "right", no_wrap=True),
    Column("area m²", "right"),
]


def conflict_rows(report: BatchReport) -> list[Row]:
    """The conflict table's cells as plain text, for rich and for ``plain_table`` alike."""
    rows = []
    for c in report.conflicts:
        data = c.to_json(geometry=False)
        overlaps = data["overlaps"]
        for k, o in enumerate(overlaps):
            first = k == 0
            rows.append(
                Row(
                    (
                        f"{data['a']} ({data['party_a']})\n{data['b']} ({data['party_b']})"
                        if first
                        else "",
                        f"{data['verdict']}\n{data['reason'].replace('_', ' ')}" if first else "",
                        f"{o['volume_a']} x {o['volume_b']}",
                        f"{o['time_start'][:10]} {o['time_start'][11:19]}-{o['time_end'][11:19]}",
                        f"{o['altitude_lower_m']:.0f}-{o['altitude_upper_m']:.0f}",
                        f"{o['area_m2']:,.0f}",
                    ),
                    end_section=k == len(overlaps) - 1,
                )
            )
    return rows


def _print_table(report: BatchReport, out: Console) -> None:
    if not report.conflicts:
        out.print(
            f"[green]No conflicts[/] among {counted(report.operations, 'operation')} "
            f"({counted(report.volumes, 'volume')})."
        )
        return
    if not out.is_terminal:
        out.width = max(out.width, 132)
    title = f"{counted(len(report.conflicts), 'conflict')} among "
    title += counted(report.operations, "operation")
    write_conflict_table(out, title, conflict_rows(report))


def write_conflict_table(out: Console, title: str, rows: list[Row], plain: bool = True) -> None:
    """The table, written directly when the output is plain text (``check_table``; the
    same characters, fifteen times faster), else by rich. ``plain=False``: by rich
    regardless (tests hold the two to each other)."""
    text = plain_table(out, title, CONFLICT_COLUMNS, rows, markup_free={0}) if plain else None
    if text is not None:
        out.file.write(text)
        out.file.flush()
        return
    table = Table(title=title)
    for c in CONFLICT_COLUMNS:
        table.add_column(c.header, justify=c.justify, no_wrap=c.no_wrap)
    for row in rows:
        parties, verdict, *rest = row.cells
        if verdict:
            head, reason = verdict.split("\n")
            style = "red" if head == "blocking" else "yellow"
            verdict = f"[{style}]{head}[/]\n{reason}"
        table.add_row(escape(parties), verdict, *rest, end_section=row.end_section)
    out.print(table)


def _print_airspace(report: BatchReport, out: Console) -> None:
    if not report.airspace:
        out.print("[green]No operation enters a constraint or another party's sector.[/]")
        return
    if not out.is_terminal:
        out.width = max(out.width, 132)
    table = Table(title=f"{counted(len(report.airspace), 'constraint and zone conflict')}")
    for name in ("operation (party)", "constraint / zone", "verdict", "when (UTC)", "altitude m"):
        table.add_column(name, no_wrap=True)
    table.add_column("area m²", justify="right")
    for c in report.airspace:
        data = c.to_json()
        style = "red" if data["verdict"] == "blocking" else "yellow"
        ref = escape(f"{c.ref_id} ({c.ref_type})")
        if c.assigned_party is not None:
            ref += escape(f"\nsector of {c.assigned_party}")
        for k, o in enumerate(data["overlaps"]):
            first = k == 0
            table.add_row(
                escape(f"{c.operation.id} ({c.operation.party})") if first else "",
                ref if first else "",
                f"[{style}]{data['verdict']}[/]\n{data['reason'].replace('_', ' ')}"
                if first
                else "",
                f"{o['time_start'][:10]} {o['time_start'][11:19]}-{o['time_end'][11:19]}",
                f"{o['altitude_lower_m']:.0f}-{o['altitude_upper_m']:.0f}",
                f"{o['area_m2']:,.1f}",
                end_section=k == len(data["overlaps"]) - 1,
            )
    out.print(table)


def check(
    file: Path = typer.Argument(..., help="GeoJSON FeatureCollection, one Feature per volume."),
    format: Format = typer.Option(Format.TABLE, "--format", help="table or json."),
    equal_priority: EqualPriorityPolicy = typer.Option(
        EqualPriorityPolicy.REJECT,
        help="What equal-priority overlaps are: reject or allow_with_notice.",
    ),
    constraints: Path | None = typer.Option(
        None,
        "--constraints",
        help="Constraints and agreed zones to check the plan against (GeoJSON or ED-269).",
    ),
) -> None:
    """Deconflict a plan file: exit 0 no conflict, 1 conflicts, 2 invalid input, 3 our fault."""
    raise typer.Exit(run_check(file, format, equal_priority, constraints=constraints))
