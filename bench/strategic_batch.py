"""Whole-plan deconfliction: `deconflict check` on a synthetic plan, phase by phase.

Run:  .venv/bin/python bench/strategic_batch.py [--operations 1000000] [--seed 1]
          [--plan FILE] [--compare | --no-compare] [--planar] [--draw]
          [--baseline /tmp/old/src] [--formats table,json] [--repeat N]

The plan is generated on first use and kept (``--plan``, default in the temp
directory, named by operations and seed), so a second run measures the check alone.
First, the command as a user runs it (``deconflict check --format F plan``, a new
interpreter, output to a file) for each of ``--formats``: wall time, CPU of the command
and its workers, the load before and after; with ``--baseline SRC`` another version's
command too, alternating, and whether both wrote the same bytes. Then, in this process,
with ``--draw`` the overlaps drawn (as ``--format json``), else undrawn (as the table),
it prints, each with the machine's load average: the wall time and peak memory of the
exact checker as the CLI runs it (read the file in chunks in worker processes, then
check); each phase's wall and CPU time, in this process and in its worker processes
(CPU time is what to compare on a loaded machine); peak RSS of this process, of the
largest worker, and the peak of all of them together (proportional set size, sampled,
so pages shared by forked workers count once).
``--compare`` (default up to 200,000 operations) then runs the previous path on the
same file in the same process: the whole file parsed at once, then its features turned
into columns in this process, and prints both times, their ratio and whether both
found the same conflicting pairs. ``--planar`` also runs a planar baseline (shapely
STRtree on lon/lat; 70 s at 100,000 operations) and explains where it is wrong.
Targets (issue 20): 1,000,000 operations under 60 s and 6 GB; 100,000 under 3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

COMPARE_UP_TO = 200_000
"""The previous path holds the whole file as dicts: above this, gigabytes."""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} (1/5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plan", type=Path, help="where to keep the plan, to reuse it")
    parser.add_argument(
        "--compare",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"also run the previous path (default: up to {COMPARE_UP_TO:,} operations)",
    )
    parser.add_argument("--planar", action="store_true", help="also run the planar baseline")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a src directory of another version (/tmp/old/src): its command is run on the "
        "same file, alternating with this one, and the outputs compared byte for byte",
    )
    parser.add_argument(
        "--formats",
        default="table,json",
        help="the command's output formats to run end to end (comma-separated; '' for none)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of the command per version")
    parser.add_argument(
        "--phases",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the check in this process, phase by phase (--no-phases: the command only)",
    )
    parser.add_argument(
        "--draw",
        action="store_true",
        help="phases with the overlaps drawn as GeoJSON (what --format json does); by "
        "default as the table (the command's default output) computes them, undrawn",
    )
    args = parser.parse_args()
    plan = args.plan or Path(tempfile.gettempdir()) / (
        f"deconflict-plan-{args.operations}-seed{args.seed}.geojson"
    )
    if plan.exists():
        print(f"reusing {plan} ({plan.stat().st_size / 1e6:.0f} MB)")
    else:
        generate(plan, args.operations, args.seed)
    compare = args.compare if args.compare is not None else args.operations <= COMPARE_UP_TO
    formats = [f for f in args.formats.split(",") if f]
    if formats:
        commands(plan, formats, args.baseline, args.repeat)
    if args.phases:
        measure(plan, compare, args.planar, args.draw)


def commands(plan: Path, formats: list[str], baseline: Path | None, repeat: int) -> None:
    """``deconflict check`` as a user runs it (a new interpreter: imports, workers, the
    output written to a file), for each format; with ``baseline``, that version's too,
    alternating, and whether both wrote the same bytes with the same exit code. CPU is
    the command's and its workers' (user + system, from the children's rusage)."""
    here = Path(__file__).resolve().parents[1] / "src"
    versions = [("now", here)] + ([("baseline", baseline.resolve())] if baseline else [])
    for fmt in formats:
        outputs: dict[str, bytes] = {}
        codes: dict[str, int] = {}
        for k in range(repeat):
            for name, src in versions:
                out = Path(tempfile.gettempdir()) / f"deconflict-check-{name}-{fmt}.out"
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                load_before = load()
                t = time.perf_counter()
                memory = PeakMemory()
                with out.open("wb") as sink:
                    done = subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "deconflict.cli.main",
                            "check",
                            "--format",
                            fmt,
                            str(plan),
                        ],
                        stdout=sink,
                        stderr=subprocess.DEVNULL,
                        env={**os.environ, "PYTHONPATH": str(src)},
                    )
                wall = time.perf_counter() - t
                peak = memory.stop()
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                outputs[name], codes[name] = out.read_bytes(), done.returncode
                user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
                print(
                    f"command: {name:8s} check --format {fmt:5s} run {k + 1}: {wall:6.2f} s wall, "
                    f"{cpu:6.2f} s CPU (command + workers; user {user:.2f}, system {system:.2f}), "
                    f"exit {done.returncode}, peak {peak:.0f} MB (PSS, all processes), "
                    f"{len(outputs[name]) / 1e6:.1f} MB written; before: {load_before}; "
                    f"after: {load()}",
                    flush=True,
                )
        if baseline:
            same = outputs["now"] == outputs["baseline"] and codes["now"] == codes["baseline"]
            print(
                f"command: --format {fmt}: same output and exit code as the baseline: "
                f"{'yes' if same else 'NO'}"
            )


def generate(plan: Path, operations: int, seed: int) -> None:
    print(f"generating {operations:,} operations into {plan}; {load()}", flush=True)
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
        f"in {time.perf_counter() - t:.1f} s; {load()}"
    )


def measure(plan: Path, compare: bool, planar: bool, draw: bool) -> None:
    from deconflict.cli.check import check_raw
    from deconflict.io.plan import load_plan

    base_rss = peak_rss_mb()
    print(f"before:  {load()}")
    print(f"phases:  overlaps {'drawn (as --format json)' if draw else 'undrawn (as the table)'}")
    report, wall = run(check_raw, plan, "exact", chunks=True, draw=draw)
    exact_pairs = pairs(report)
    print(
        f"memory:  peak RSS {peak_rss_mb():.0f} MB in the main process (interpreter and "
        f"imports {base_rss:.0f} MB); largest worker "
        f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0:.0f} MB"
    )
    if compare:
        old, old_wall = run(check_raw, plan, "previous", chunks=False, draw=draw)
        same = pairs(old) == exact_pairs and [c.to_json(geometry=draw) for c in old.conflicts] == [
            c.to_json(geometry=draw) for c in report.conflicts
        ]
        print(
            f"compare: chunked {wall:.2f} s, whole-file {old_wall:.2f} s, ratio "
            f"{old_wall / wall:.2f}x; same conflicts and overlaps: {'yes' if same else 'NO'}; "
            f"{load()}"
        )
    if not planar:
        return
    raw = plan.read_bytes()
    ops = load_plan(raw)  # domain objects, for the baseline and the explanations
    t3 = time.perf_counter()
    planar_pairs = planar_baseline(ops)
    t4 = time.perf_counter()
    print(
        f"planar:  STRtree on lon/lat, {t4 - t3:.2f} s with geometry already parsed; "
        f"{len(planar_pairs):,} conflicting operation pairs"
    )
    print(f"ratio:   exact read+check / planar = {wall / (t4 - t3):.2f}; {load()}")
    explain(ops, exact_pairs, planar_pairs)


def pairs(report) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(min(c.a.id, c.b.id), max(c.a.id, c.b.id)) for c in report.conflicts}


def run(check_raw, plan: Path, name: str, chunks: bool, draw: bool):  # type: ignore[no-untyped-def]
    """One check of the file, as the CLI runs it; prints its figures and phases."""
    clock = PhaseClock()
    memory = PeakMemory()
    t0 = time.perf_counter()
    c0 = time.process_time()
    held = [plan.read_bytes()]  # handed over: check_raw lets the bytes go once read
    clock.mark("read file")
    report = check_raw(held, mark=clock.mark, chunks=chunks, draw=draw)
    clock.mark("return")
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = memory.stop()
    print(
        f"{name + ':':8s} {report.operations:,} operations, {report.volumes:,} volumes; "
        f"read + check {wall:.2f} s wall, {cpu:.2f} s CPU in the main process "
        f"({os.cpu_count()} worker processes); {report.candidates:,} volume pairs "
        f"reached the exact test; {len(pairs(report)):,} conflicting operation pairs; "
        f"peak memory of all processes {peak:.0f} MB (PSS); {load()}"
    )
    clock.print()
    return report, wall


class PeakMemory:
    """Peak proportional set size of this process and its children, sampled."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(every_s,), daemon=True)
        self._thread.start()

    def _watch(self, every_s: float) -> None:
        wait = every_s
        while not self._stop.wait(wait):
            t = time.perf_counter()
            self.peak = max(self.peak, tree_pss_mb())
            # Reading PSS walks the page tables of gigabytes: keep it under 5 % of a core.
            wait = max(every_s, 20.0 * (time.perf_counter() - t))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, tree_pss_mb())


def tree_pss_mb() -> float:
    """PSS of this process and its live descendants (Linux; 0 elsewhere)."""
    me = os.getpid()
    total = 0
    tree, k = [me], 0
    while k < len(tree):  # the command's workers are this process's grandchildren
        tree.extend(children(tree[k]))
        k += 1
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024.0


def children(parent: int) -> list[int]:
    """Live children of ``parent``, from its threads' ``children`` lists (cheap: no
    walk over every process of the machine, which on a busy one costs seconds)."""
    found: list[int] = []
    for task in Path(f"/proc/{parent}/task").glob("*/children"):
        try:
            found.extend(int(pid) for pid in task.read_text().split())
        except OSError:
            continue
    return found


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
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in children(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, ... utime is field 14, stime 15 (1-based).
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
