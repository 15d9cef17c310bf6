"""Whole-plan deconfliction: `deconflict check` on a synthetic plan, against a planar baseline.

Run:  .venv/bin/python bench/strategic_batch.py [--operations 100000] [--seed 1] [--plan FILE]

``--plan FILE`` keeps the generated plan there and reuses it on the next run.
Prints the time and peak memory of the exact checker (parse + check, as the CLI does),
then each phase's wall time and CPU time, in this process and in its worker processes
(CPU time is what to compare on a loaded machine; the load average is printed too),
then runs a planar baseline on the same plan in the same process (shapely STRtree on
lon/lat, the same time and altitude filters) and prints its time, the ratio and every
pair on which the two disagree, with the reason the planar answer is wrong.
Targets (issue 2): 100,000 operations under 10 s, peak memory under 1.5 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plan", type=Path, help="where to keep the plan, to reuse it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        plan = args.plan or Path(tmp) / "plan.geojson"
        if plan.exists():
            print(f"reusing {plan} ({plan.stat().st_size / 1e6:.0f} MB)")
        else:
            generate(plan, args.operations, args.seed)
        measure(plan)


def generate(plan: Path, operations: int, seed: int) -> None:
    t = time.perf_counter()
    # A separate process, so that generating the plan does not count in our peak memory.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "deconflict.cli.main",
            "generate",
            "--operations",
            str(operations),
            "--seed",
            str(seed),
            "--output",
            str(plan),
        ],
        check=True,
    )
    print(
        f"generated {operations:,} operations ({plan.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - t:.1f} s"
    )


def measure(plan: Path) -> None:
    from deconflict.cli.check import check_raw
    from deconflict.io.plan import load_plan

    base_rss = peak_rss_mb()
    load_before = os.getloadavg()
    clock = PhaseClock()
    t0 = time.perf_counter()
    c0 = time.process_time()
    raw = plan.read_bytes()
    clock.mark("read file")
    report = check_raw(raw, mark=clock.mark)  # exactly what `deconflict check` runs
    clock.mark("return (frees the parsed JSON)")
    t2 = time.perf_counter()
    c2 = time.process_time()
    rss = peak_rss_mb()
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    exact_pairs = {(min(c.a.id, c.b.id), max(c.a.id, c.b.id)) for c in report.conflicts}
    print(
        f"exact:   {report.operations:,} operations, {report.volumes:,} volumes; "
        f"read + check {t2 - t0:.2f} s wall, {c2 - c0:.2f} s CPU in the main process "
        f"({os.cpu_count()} worker processes); {report.candidates:,} volume pairs "
        f"reached the exact test; {len(exact_pairs):,} conflicting operation pairs"
    )
    clock.print()
    print(
        f"load:    average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"(1 min) on {os.cpu_count()} cores"
    )
    print(
        f"memory:  peak RSS {rss:.0f} MB in the main process (interpreter and imports "
        f"{base_rss:.0f} MB); largest child {child_rss:.0f} MB (forked, pages shared)"
    )

    ops = load_plan(raw)  # domain objects, for the baseline and the explanations
    t3 = time.perf_counter()
    planar_pairs = planar_baseline(ops)
    t4 = time.perf_counter()
    print(
        f"planar:  STRtree on lon/lat, {t4 - t3:.2f} s with geometry already parsed; "
        f"{len(planar_pairs):,} conflicting operation pairs"
    )
    print(
        f"ratio:   exact read+check / planar = {(t2 - t0) / (t4 - t3):.2f}; "
        f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    explain(ops, exact_pairs, planar_pairs)


class PhaseClock:
    """Wall and CPU time of each phase, in this process and in its worker processes.

    Workers are still alive while they work, so their CPU time is read from /proc
    (``utime + stime`` of every live child) plus what finished children left in
    ``RUSAGE_CHILDREN``; on a machine without /proc only the finished ones count.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []
        self.last = self.now()

    @staticmethod
    def now() -> tuple[float, float, float]:
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            time.perf_counter(),
            time.process_time(),
            live_children_cpu() + done.ru_utime + done.ru_stime,
        )

    def mark(self, phase: str) -> None:
        now = self.now()
        wall, cpu, workers = (b - a for a, b in zip(self.last, now, strict=True))
        self.rows.append((phase, wall, cpu, workers))
        self.last = now

    def print(self) -> None:
        print(f"phases:  {'':28s} {'wall s':>7s} {'main CPU s':>11s} {'workers CPU s':>14s}")
        for phase, wall, cpu, workers in self.rows:
            print(f"         {phase:28s} {wall:7.2f} {cpu:11.2f} {workers:14.2f}")
        wall = sum(r[1] for r in self.rows)
        cpu = sum(r[2] for r in self.rows)
        workers = sum(r[3] for r in self.rows)
        print(f"         {'total':28s} {wall:7.2f} {cpu:11.2f} {workers:14.2f}")


def live_children_cpu() -> float:
    """CPU seconds used so far by this process's live children (Linux /proc)."""
    me = os.getpid()
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, ... utime is field 14, stime 15 (1-based).
        if int(fields[1]) == me:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def planar_baseline(ops: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    """What a quick planar implementation does: lon/lat as x/y, circles as degree buffers."""
    import shapely
    from shapely.geometry import Point
    from shapely.geometry import Polygon as ShapelyPolygon

    from deconflict.geo.footprint import Circle

    geoms, owner, t0, t1, lo, hi = [], [], [], [], [], []
    for k, op in enumerate(ops):
        for v in op.volumes:
            f = v.footprint
            if isinstance(f, Circle):
                geoms.append(Point(f.lon, f.lat).buffer(f.radius_m / 111_320.0, 32))
            else:
                geoms.append(ShapelyPolygon(f.vertices))
            owner.append(k)
            t0.append(v.time.start.timestamp())
            t1.append(v.time.end.timestamp())
            lo.append(v.altitude.lower_m)
            hi.append(v.altitude.upper_m)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    own = np.array(owner)
    a0, a1, alo, ahi = (np.array(x) for x in (t0, t1, lo, hi))
    keep = (i < j) & (own[i] != own[j])
    keep &= (a0[i] <= a1[j]) & (a0[j] <= a1[i]) & (alo[i] <= ahi[j]) & (alo[j] <= ahi[i])
    pairs = set()
    for x, y in zip(own[i[keep]].tolist(), own[j[keep]].tolist(), strict=True):
        a, b = ops[x].id, ops[y].id
        pairs.add((min(a, b), max(a, b)))
    return pairs


def explain(ops: list, exact: set, planar: set) -> None:  # type: ignore[type-arg]
    from deconflict.geo.footprint import Circle
    from deconflict.geo.overlap import footprint_distance_m
    from deconflict.geo.volume import Volume4D

    by_id = {op.id: op for op in ops}
    only_exact = exact - planar
    only_planar = planar - exact
    print(
        f"disagree: {len(only_exact) + len(only_planar)} pairs "
        f"({len(only_exact)} found only by the exact test, {len(only_planar)} only by planar)"
    )
    reasons: Counter[str] = Counter()
    for side, pairs in (("missed by planar", only_exact), ("false alarm of planar", only_planar)):
        for a, b in pairs:
            va, vb = by_id[a].volumes, by_id[b].volumes

            def in_4d(x: Volume4D, y: Volume4D) -> bool:
                return (
                    x.time.overlap(y.time) is not None
                    and x.altitude.overlap(y.altitude) is not None
                )

            pairs_4d = [(x, y) for x in va for y in vb if in_4d(x, y)]
            dist = min(footprint_distance_m(x.footprint, y.footprint) for x, y in pairs_4d)
            circle = any(
                isinstance(x.footprint, Circle) or isinstance(y.footprint, Circle)
                for x, y in pairs_4d
            )
            if circle:
                why = (
                    "a circle drawn in degrees is an ellipse on the ground (lon shrinks by cos lat)"
                )
            elif 0.0 < dist <= 0.01:
                why = "footprints within 1 cm: a conflict by the standard, apart in the plane"
            else:
                why = "edges are great-circle arcs, not straight lines in lon/lat"
            reasons[f"{side}: {why}"] += 1
    for why, n in reasons.most_common():
        print(f"  {n:6d}  {why}")


if __name__ == "__main__":
    main()
