"""The cost of issue 18's rate limits (per client address and per token subject), in process.

Run:  .venv/bin/python bench/rate_limits.py [--requests 3000]

Builds the app twice on one scratch SQLite store: with the default rate limits (generous:
nothing is refused here) and with them turned off (``enabled = false``). Calls each
directly as an ASGI app (no network, no test client: its thread hand-offs would drown
the difference), alternating rounds so that drift on a shared machine hits both alike:
  - ``GET /nope`` (a 404: the address check only, then routing);
  - ``GET /v1/operations/none`` with a valid token (the address check, the token's
    verification and the subject check, a database read, a 404).
Prints requests per second of each and the ratio, with the load average; then the time
of the two checks alone (``RateLimits.check_address`` and ``check_subject``), which is
what the limits add to a request that passes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI

from deconflict.api.app import create_app
from deconflict.auth.keys import load_or_create_signing_key
from deconflict.auth.tokens import mint_token
from deconflict.service.rate_limits import RateLimits
from deconflict.settings import RateLimitSettings, Settings
from deconflict.store.sql import open_store
from observability import get_scope, receive, send


async def _rate(app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await app(get_scope(path, tuple(headers)), receive, send)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    rounds = 15
    per_round = args.requests // rounds
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        on = Settings(data_dir=data)
        off = Settings(data_dir=data, rate_limits=RateLimitSettings(enabled=False))
        store = open_store(f"sqlite:///{Path(tmp) / 'b.db'}")
        limited, unlimited = create_app(on, store), create_app(off, store)
        key = load_or_create_signing_key(data)
        token = mint_token(
            key,
            sub="bench",
            scopes=["deconflict.read"],
            audience="localhost",
            issuer=on.auth.issuer,
        )
        bearer = [(b"authorization", f"Bearer {token}".encode())]
        cases = [
            ("GET /nope (no token)", "/nope", []),
            ("GET /v1/operations/none", "/v1/operations/none", bearer),
        ]
        print(f"load average before: {os.getloadavg()}")
        for title, path, headers in cases:
            for app in (limited, unlimited):  # warm up: middleware stacks, thread pool
                asyncio.run(_rate(app, path, headers, 200))
            with_rps, without_rps = [], []
            for _ in range(rounds):
                with_rps.append(asyncio.run(_rate(limited, path, headers, per_round)))
                without_rps.append(asyncio.run(_rate(unlimited, path, headers, per_round)))
            w, wo = statistics.median(with_rps), statistics.median(without_rps)
            print(f"{title}, median of {rounds} rounds of {per_round}:")
            print(f"  rate limits on:  {w:8.0f} requests/s  ({1e6 / w:6.1f} us/request)")
            print(f"  rate limits off: {wo:8.0f} requests/s  ({1e6 / wo:6.1f} us/request)")
            print(f"  on/off: {w / wo:.3f}; added {1e6 / w - 1e6 / wo:+.1f} us/request")
        store.close()
        limits = RateLimits(RateLimitSettings(per_subject_rps=1e9, per_address_rps=1e9))
        n = 200_000
        start = time.perf_counter()
        for _ in range(n):
            limits.check_address("10.0.0.1")
            limits.check_subject("bench")
        checks = (time.perf_counter() - start) / n
        print(f"the two checks alone: {checks * 1e6:.2f} us/request ({n:,} calls)")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
