"""What need-to-know costs on a read: listing another party's operations with and without
recording each disclosure in the audit log (SQLite, in-process app).

``--ops`` operations of party alpha, far apart; party beta lists them ``--reads`` times,
``limit`` = all of them. Baseline: the same list with ``api.disclosure.record`` made a
no-op, in the same process, rounds interleaved. Printed, not asserted.

    .venv/bin/python bench/disclosure.py [--ops 1000] [--reads 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from deconflict.api import disclosure
from deconflict.api.app import create_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings
from deconflict.store.audit import chain_pending


def body(i: int) -> dict[str, Any]:
    lon, lat = (i % 100) * 0.1, (i // 100) * 0.1
    d = 0.01
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100,
                "altitude_upper_m": 200,
                "time_start": "2030-07-01T10:00:00Z",
                "time_end": "2030-07-01T10:30:00Z",
            }
        ]
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--reads", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        key = load_or_create_signing_key(settings.data_dir)

        def auth(sub: str) -> dict[str, str]:
            scopes = ["deconflict.plan", "deconflict.read"]
            issuer = settings.auth.issuer
            token = mint_token(key, sub=sub, scopes=scopes, audience="localhost", issuer=issuer)
            return {"Authorization": f"Bearer {token}"}

        app = create_app(settings)
        real = disclosure.record
        with TestClient(app) as client:
            alpha, beta = auth("alpha"), auth("beta")
            for i in range(args.ops):
                r = client.put(f"/v1/operations/a{i}", json=body(i), headers=alpha)
                assert r.status_code == 201, r.text
            times: dict[str, list[float]] = {"without": [], "with": []}
            for _ in range(args.rounds):
                for mode in ("without", "with"):
                    disclosure.record = real if mode == "with" else (lambda *_a: None)  # type: ignore[assignment]
                    t0 = time.perf_counter()
                    for _ in range(args.reads):
                        r = client.get(f"/v1/operations?limit={args.ops}", headers=beta)
                        assert len(r.json()["operations"]) == args.ops
                    times[mode].append((time.perf_counter() - t0) / args.reads)
            disclosure.record = real
            t0 = time.perf_counter()
            chained = chain_pending(app.state.services.store)
            chain_s = time.perf_counter() - t0
    base, audited = statistics.median(times["without"]), statistics.median(times["with"])
    print(f"load average: {os.getloadavg()[0]:.1f} (2 cores)")
    print(f"list of {args.ops} references, median of {args.rounds} rounds x {args.reads} reads:")
    print(f"  without disclosure records: {base * 1e3:8.1f} ms per list")
    print(f"  with disclosure records:    {audited * 1e3:8.1f} ms per list")
    print(f"  ratio with/without:         {audited / base:8.2f}")
    print(f"  left pending at the end (the chainer ran meanwhile): {chained} ({chain_s:.2f} s)")


if __name__ == "__main__":
    main()
