"""Candidate lookup on PostgreSQL: the indexed cell table vs a GIN index on bigint[].

Run:  .venv/bin/python bench/pg_cells.py [--database URL] [--operations 100000] [--probes 2000]

Builds both layouts in a scratch schema (dropped afterwards) from the same random
operations (squares of 150 m to 1.5 km over a 3 x 3 degree region, random hour-long
windows in one day, random 100 m altitude bands), then times the same probes on each:

  table: ``volume_cells(cell, operation_id, idx)`` with its primary key, joined to
         ``volumes`` for the time and altitude filters: the store's own query;
  gin:   ``volumes.cells bigint[]`` with a GIN index, probed with ``cells && ARRAY[...]``.

Both return the same candidate ids (checked). Prints per-lookup mean, p50 and p99,
build time and size of each index, and which is faster.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from typing import Any

import numpy as np
import psycopg

from deconflict.geo.covering import covering
from deconflict.geo.footprint import Polygon

DAY_US = 86_400 * 1_000_000


def square(lon: float, lat: float, d: float) -> Polygon:
    return Polygon(((lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)))


def random_volume(rng: random.Random) -> tuple[list[int], int, int, float, float]:
    lon, lat = rng.uniform(7.0, 10.0), rng.uniform(49.0, 52.0)
    cells = covering(square(lon, lat, rng.uniform(0.002, 0.02)))
    t0 = rng.randrange(DAY_US - 3_600_000_000)
    lo = rng.uniform(0.0, 400.0)
    return cells, t0, t0 + 3_600_000_000, lo, lo + 100.0


def build(conn: psycopg.Connection[Any], n: int, rng: random.Random) -> None:
    conn.execute(
        "CREATE TABLE volumes (operation_id text, idx int, t0 bigint, t1 bigint,"
        " lo float8, hi float8, cells bigint[], PRIMARY KEY (operation_id, idx))"
    )
    conn.execute(
        "CREATE TABLE volume_cells (cell bigint, operation_id text, idx int,"
        " PRIMARY KEY (cell, operation_id, idx))"
    )
    with conn.cursor() as cur:
        with cur.copy("COPY volumes (operation_id, idx, t0, t1, lo, hi, cells) FROM STDIN") as cp:
            rows = []
            for k in range(n):
                cells, t0, t1, lo, hi = random_volume(rng)
                rows.append((f"op{k:07d}", cells))
                cp.write_row((f"op{k:07d}", 0, t0, t1, lo, hi, cells))
        with cur.copy("COPY volume_cells (cell, operation_id, idx) FROM STDIN") as cp:
            for op_id, cells in rows:
                for c in cells:
                    cp.write_row((c, op_id, 0))
    conn.commit()


TABLE_Q = (
    "SELECT DISTINCT c.operation_id FROM volume_cells c JOIN volumes v"
    " ON v.operation_id = c.operation_id AND v.idx = c.idx"
    " WHERE c.cell = ANY(%(cells)s) AND v.t0 <= %(t1)s AND v.t1 >= %(t0)s"
    " AND v.lo <= %(hi)s AND v.hi >= %(lo)s"
)
GIN_Q = (
    "SELECT DISTINCT operation_id FROM volumes WHERE cells && %(cells)s::bigint[]"
    " AND t0 <= %(t1)s AND t1 >= %(t0)s AND lo <= %(hi)s AND hi >= %(lo)s"
)


def timed(
    conn: psycopg.Connection[Any], sql: str, probes: list[dict[str, Any]]
) -> tuple[np.ndarray, list[set[str]]]:
    out, found = [], []
    for p in probes:
        t = time.perf_counter()
        rows = conn.execute(sql, p, prepare=True).fetchall()
        out.append(time.perf_counter() - t)
        found.append({r[0] for r in rows})
    return np.array(out) * 1000.0, found


def inserts(conn: psycopg.Connection[Any], rng: random.Random, n: int) -> dict[str, np.ndarray]:
    """The write side: the cell table takes one row per cell, the array one row per volume
    (GIN's index is built with ``fastupdate = off``, so its whole cost is paid here)."""
    out: dict[str, list[float]] = {"table": [], "gin": []}
    for k in range(n):
        cells, t0, t1, lo, hi = random_volume(rng)
        op_id = f"new{k:07d}"
        t = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO volumes (operation_id, idx, t0, t1, lo, hi)"
                " VALUES (%s, 0, %s, %s, %s, %s)",
                (op_id, t0, t1, lo, hi),
            )
            cur.executemany(
                "INSERT INTO volume_cells (cell, operation_id, idx) VALUES (%s, %s, 0)",
                [(c, op_id) for c in cells],
            )
        conn.commit()
        out["table"].append(time.perf_counter() - t)
        t = time.perf_counter()
        conn.execute(
            "INSERT INTO volumes (operation_id, idx, t0, t1, lo, hi, cells)"
            " VALUES (%s, 1, %s, %s, %s, %s, %s)",
            (op_id, t0, t1, lo, hi, cells),
        )
        conn.commit()
        out["gin"].append(time.perf_counter() - t)
    return {k: np.array(v) * 1000.0 for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=2000)
    args = parser.parse_args()
    url = args.database.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_cells_{uuid.uuid4().hex[:8]}"
    rng = random.Random(13)
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path = {schema}")
        conn.commit()
        try:
            t = time.perf_counter()
            build(conn, args.operations, rng)
            print(f"{args.operations} operations loaded in {time.perf_counter() - t:.1f} s")
            sizes = {}
            for name, ddl in (
                ("table", "CREATE INDEX ix_cells_op ON volume_cells (operation_id)"),
                (
                    "gin",
                    # fastupdate off: with a pending list, every GIN scan takes a
                    # predicate lock on the whole index, and under SERIALIZABLE every
                    # lookup would conflict with every concurrent write.
                    "CREATE INDEX ix_volumes_cells ON volumes USING gin (cells)"
                    " WITH (fastupdate = off)",
                ),
            ):
                t = time.perf_counter()
                conn.execute(ddl)
                conn.commit()
                sizes[name] = time.perf_counter() - t
            conn.execute("ANALYZE")
            conn.commit()
            rel = dict(
                conn.execute(
                    "SELECT relname, pg_relation_size(c.oid) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = %s",
                    (schema,),
                ).fetchall()
            )
            probes = []
            for _ in range(args.probes):
                cells, t0, t1, lo, hi = random_volume(rng)
                probes.append({"cells": cells, "t0": t0, "t1": t1, "lo": lo, "hi": hi})
            timed(conn, TABLE_Q, probes[:100])  # warm caches and plans for both
            timed(conn, GIN_Q, probes[:100])
            results = {}
            found = {}
            for name, sql in (("table", TABLE_Q), ("gin", GIN_Q)):
                results[name], found[name] = timed(conn, sql, probes)
            assert found["table"] == found["gin"], "the two layouts disagree on candidates"
            hits = np.mean([len(f) for f in found["table"]])
            print(f"{args.probes} probes, {hits:.1f} candidates each on average")
            index_mb = {
                "table": (rel.get("volume_cells_pkey", 0) + rel.get("ix_cells_op", 0)) / 2**20,
                "gin": rel.get("ix_volumes_cells", 0) / 2**20,
            }
            for name, ms in results.items():
                print(
                    f"  {name:>5}: mean {ms.mean():.3f} ms, p50 {np.percentile(ms, 50):.3f} ms, "
                    f"p99 {np.percentile(ms, 99):.3f} ms; index {index_mb[name]:.1f} MiB"
                    + (f", secondary index built in {sizes[name]:.1f} s")
                )
            for name, ms in inserts(conn, rng, min(args.probes, 1000)).items():
                print(
                    f"  {name:>5} writes: one volume per transaction, mean {ms.mean():.3f} ms, "
                    f"p99 {np.percentile(ms, 99):.3f} ms"
                )
            best = min(results, key=lambda k: float(np.median(results[k])))
            other = "gin" if best == "table" else "table"
            ratio = float(np.median(results[other]) / np.median(results[best]))
            print(f"faster: {best} ({ratio:.2f}x on the median lookup)")
        finally:
            conn.rollback()
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
            conn.commit()


if __name__ == "__main__":
    main()
