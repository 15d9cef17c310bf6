"""CPU per audit entry: appending, chaining and verifying, best of a few rounds (SQLite).

Process CPU time, not the wall clock: on a shared machine it is the steadier figure,
and the best of ``--rounds`` leaves out the rounds other jobs slowed. Entries are
sealed with an audit key as in the service; ``--no-key`` runs without one, which is
also how to run this script against a checkout from before the audit key existed
(``PYTHONPATH=<checkout>/src``) to compare. Not asserted anywhere: printed.

    .venv/bin/python bench/audit_entries.py [--entries 20000] [--rounds 3] [--no-key]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from deconflict.audit.entry import AuditEntry
from deconflict.store.audit import append_audit, chain_pending, verify_store
from deconflict.store.sql import open_store

PER_TRANSACTION = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-key", action="store_true")
    args = parser.parse_args()
    n = args.entries - args.entries % PER_TRANSACTION
    entry = AuditEntry(
        "change", "alpha", "alpha", "operation", "op1", {"version": 1, "state": "Accepted"}
    )
    best = {"append": float("inf"), "chain": float("inf"), "verify": float("inf")}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{Path(tmp) / 'audit.db'}")
            if not args.no_key:
                from deconflict.audit.keys import load_or_create_audit_key
                from deconflict.store.audit import use_key

                use_key(store.engine, load_or_create_audit_key(Path(tmp) / "data"))
            start = time.process_time()
            for _ in range(n // PER_TRANSACTION):
                with store.session(write=True) as s:
                    append_audit(s, [entry] * PER_TRANSACTION)
            best["append"] = min(best["append"], time.process_time() - start)
            start = time.process_time()
            chain_pending(store)
            best["chain"] = min(best["chain"], time.process_time() - start)
            start = time.process_time()
            assert verify_store(store).ok
            best["verify"] = min(best["verify"], time.process_time() - start)
            store.close()
    for step, seconds in best.items():
        print(f"{step:<8} {seconds / n * 1e6:6.1f} us CPU per entry ({n / seconds:8.0f} entries/s)")


if __name__ == "__main__":
    main()
