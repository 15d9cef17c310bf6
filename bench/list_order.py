"""What ordering a list by what the viewer sees costs (issue 21, High 2): listing another
party's operations with ``api.listing.viewer_order`` against the same list sorted by id
(the old, leaking order), in one process, rounds interleaved (SQLite, in-process app).

``--ops`` operations of party beta, five distinct start times; party alpha lists them
``--reads`` times per round. Printed, not asserted.

    .venv/bin/python bench/list_order.py [--ops 1000] [--reads 15] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from deconflict.api import native
from deconflict.api.app import create_app
from deconflict.api.listing import Listed, viewer_order
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.settings import Settings


def by_id(items: Iterable[Listed], viewer: str, secret: bytes, limit: int | None) -> list[Listed]:
    ordered = sorted(items, key=lambda item: item.hidden_id)
    return ordered if limit is None else ordered[:limit]


def body(i: int, day: str) -> dict[str, Any]:
    lon, lat = (i % 40) * 0.02, (i // 40) * 0.02
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    return {
        "id": f"op-{i:05d}",
        "volumes": [
            {
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "altitude_lower_m": 100,
                "altitude_upper_m": 200,
                "time_start": f"{day}T{10 + i % 5}:00:00Z",
                "time_end": f"{day}T16:00:00Z",
            }
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--reads", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    day = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        key = load_or_create_signing_key(settings.data_dir)

        def auth(sub: str) -> dict[str, str]:
            scopes = ["deconflict.plan", "deconflict.read"]
            issuer = settings.auth.issuer
            token = mint_token(key, sub=sub, scopes=scopes, audience="localhost", issuer=issuer)
            return {"Authorization": f"Bearer {token}"}

        with TestClient(create_app(settings)) as client:
            for k in range(0, args.ops, 1000):
                items = [body(i, day) for i in range(k, min(k + 1000, args.ops))]
                r = client.post(
                    "/v1/operations:batch", json={"operations": items}, headers=auth("beta")
                )
                assert r.status_code == 207, r.text
            alpha = auth("alpha")
            params = {"limit": min(args.ops, 10_000)}
            times: dict[str, list[float]] = {"by id": [], "viewer order": []}
            for _ in range(args.rounds):
                for name, order in (("by id", by_id), ("viewer order", viewer_order)):
                    native.viewer_order = order  # type: ignore[assignment]
                    for _ in range(args.reads):
                        t0 = time.perf_counter()
                        r = client.get("/v1/operations", params=params, headers=alpha)
                        times[name].append(time.perf_counter() - t0)
                        assert r.status_code == 200 and len(r.json()["operations"]) == args.ops
            native.viewer_order = viewer_order
    for name, values in times.items():
        print(
            f"{name:>12}: median {statistics.median(values) * 1000:.1f} ms per list of {args.ops}"
        )


if __name__ == "__main__":
    main()
