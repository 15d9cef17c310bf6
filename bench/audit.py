"""What the audit log costs: native creations per second with and without it (SQLite).

Each mode creates ``--ops`` operations far apart from each other through the
``StrategicEngine``, ``--threads`` submitting at once, on a fresh SQLite store:

- ``notify only``: the engine's ``on_change`` is the notifier, as before the audit log;
- ``notify + audit``: the notifier and the audit entry, with the in-process chainer
  running (it competes for SQLite's single writer), pending entries drained at the end
  (the time to drain is included). As in the service, entries are salted and sealed
  with an audit key, and the chainer checks the seals.

Then chaining (seals checked) and verifying are timed alone, and signing one receipt
(what each acknowledged native write adds). Not asserted anywhere: printed.

    .venv/bin/python bench/audit.py [--ops 1000] [--threads 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deconflict.audit.entry import AuditEntry
from deconflict.audit.keys import load_or_create_audit_key
from deconflict.audit.statements import receipt
from deconflict.core.engine import ChangeHook, StrategicEngine
from deconflict.geo.footprint import Polygon
from deconflict.geo.volume import AltitudeBand, TimeWindow, Volume4D
from deconflict.model.operation import Operation, OperationState
from deconflict.notify.recorder import Notifier
from deconflict.service.audit_chainer import Chainer
from deconflict.service.audit_hooks import compose, record_operation_change
from deconflict.settings import Settings
from deconflict.store.audit import append_audit, chain_pending, use_key, verify_store
from deconflict.store.constraints import airspace_of
from deconflict.store.sql import SqlStore, open_store

T0 = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)


def operation(n: int) -> Operation:
    lon, lat = -170.0 + (n % 300) * 1.1, -60.0 + (n // 300) * 1.1
    d = 0.01
    square = Polygon(((lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)))
    volume = Volume4D(square, AltitudeBand(0, 120), TimeWindow(T0, T0 + timedelta(minutes=30)))
    return Operation(f"op{n}", f"party{n % 7}", 0, OperationState.ACCEPTED, (volume,))


def run(store: SqlStore, hook: ChangeHook, ops: int, threads: int) -> None:
    engine = StrategicEngine(store, Settings().equal_priority, on_change=hook, airspace=airspace_of)
    counter = iter(range(ops))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            assert engine.submit(operation(n)).accepted

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


Mode = Callable[[SqlStore], tuple[ChangeHook, Chainer | None]]


def timed(label: str, make: Mode, ops: int, threads: int, root: Path) -> tuple[float, float]:
    """Creations per second, from the first submission until every entry is chained, and
    this process's CPU time per creation (steadier than the wall clock on a shared
    machine; SQLite runs in this process too)."""
    store = open_store(f"sqlite:///{root / (label.replace(' ', '_') + '.db')}")
    hook, chainer = make(store)
    if chainer is not None:
        chainer.start()
    start, cpu = time.perf_counter(), time.process_time()
    run(store, hook, ops, threads)
    if chainer is not None:
        chainer.stop()  # links what is still pending before returning
    elapsed = time.perf_counter() - start
    cpu_ms = (time.process_time() - cpu) / ops * 1e3
    if "audit" in label:
        chain_pending(store)
        verdict = verify_store(store)
        assert verdict.ok and verdict.checked == ops, verdict
    store.close()
    rate = ops / elapsed
    print(
        f"{label:<20} {ops} creations in {elapsed:6.2f} s: {rate:6.0f} /s, {cpu_ms:.2f} ms CPU each"
    )
    return rate, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    notifier = Notifier(Settings().notify)
    audited = compose(notifier.operation_changed, record_operation_change)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        key = load_or_create_audit_key(root / "data")

        def sealed(store: SqlStore, chainer: bool) -> tuple[ChangeHook, Chainer | None]:
            use_key(store.engine, key)
            return audited, Chainer(store, key=key) if chainer else None

        modes: dict[str, Mode] = {
            "notify only": lambda s: (notifier.operation_changed, None),
            "notify + audit": lambda s: sealed(s, True),
            "audit, no chainer": lambda s: sealed(s, False),
        }
        rates: dict[str, list[float]] = {label: [] for label in modes}
        cpus: dict[str, list[float]] = {label: [] for label in modes}
        for r in range(args.rounds):  # interleaved: a busy machine slows every mode alike
            for label, make in modes.items():
                rate, cpu = timed(f"{label} {r}", make, args.ops, args.threads, root)
                rates[label].append(rate)
                cpus[label].append(cpu)
        base = statistics.median(rates["notify only"])
        base_cpu = statistics.median(cpus["notify only"])
        for label in modes:
            rate, cpu = statistics.median(rates[label]), statistics.median(cpus[label])
            print(
                f"median {label:<18} {rate:6.0f} creations/s (ratio {rate / base:.2f}), "
                f"{cpu:.2f} ms CPU each (ratio {cpu / base_cpu:.2f})"
            )

        store = open_store(f"sqlite:///{root / 'chain.db'}")
        use_key(store.engine, key)
        n = 50_000
        entry = AuditEntry("change", "alpha", "alpha", "operation", "op1", {"version": 1})
        with store.session(write=True) as s:
            for _ in range(0, n, 1000):
                append_audit(s, [entry] * 1000)
        start = time.perf_counter()
        chain_pending(store)
        chained = time.perf_counter() - start
        start = time.perf_counter()
        verdict = verify_store(store)
        verified = time.perf_counter() - start
        assert verdict.ok and verdict.checked == n
        print(f"chaining         {n / chained:8.0f} entries/s")
        print(f"verifying        {n / verified:8.0f} entries/s")
        start = time.perf_counter()
        for i in range(1000):
            receipt(key, i, "alpha", [entry])
        print(f"signing a receipt {(time.perf_counter() - start) * 1e3:7.0f} us")
        store.close()


if __name__ == "__main__":
    main()
