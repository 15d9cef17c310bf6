"""The cost of issue 18's request ids and metrics, in process.

Run:  .venv/bin/python bench/observability.py [--requests 3000]

Builds the app twice on one scratch SQLite store: as ``create_app`` makes it, and with
the request-id and request-metrics middlewares taken out. Calls each directly as an ASGI
app with ``GET /healthy`` (no network, no test client: its thread hand-offs would drown
the difference), alternating rounds so that drift on a shared machine hits both alike,
and prints the median time per request of each and the difference; then the time of a
``/metrics`` scrape (which counts the outbox and the audit lag in the database).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from deconflict.api.app import create_app
from deconflict.api.metrics import RequestMetrics
from deconflict.api.request_id import RequestId
from deconflict.settings import Settings
from deconflict.store.sql import open_store


def get_scope(path: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> dict[str, Any]:
    """An ASGI scope of one GET, to drive an app in-process without a socket."""
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"bench"), *headers],
        "scheme": "http",
        "server": ("bench", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
        "http_version": "1.1",
        "state": {},
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: dict[str, Any]) -> None:
    return None


async def _calls(app: FastAPI, path: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await app(get_scope(path), receive, send)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    rounds = 5
    per_round = args.requests // rounds
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        store = open_store(f"sqlite:///{Path(tmp) / 'b.db'}")
        full = create_app(settings, store)
        bare = create_app(settings, store)
        bare.user_middleware = [
            m for m in bare.user_middleware if m.cls not in (RequestId, RequestMetrics)
        ]
        for app in (full, bare):  # warm up: build the middleware stacks, the thread pool
            asyncio.run(_calls(app, "/healthy", 200))
        with_us, without_us = [], []
        for _ in range(rounds):
            with_us.append(asyncio.run(_calls(full, "/healthy", per_round)) * 1e6)
            without_us.append(asyncio.run(_calls(bare, "/healthy", per_round)) * 1e6)
        scrape_ms = [asyncio.run(_calls(full, "/metrics", 1)) * 1e3 for _ in range(50)]
        store.close()
    w, wo = statistics.median(with_us), statistics.median(without_us)
    print(f"GET /healthy as ASGI calls, median of {rounds} rounds of {per_round}:")
    print(f"  with request id + metrics: {w:8.1f} us/request")
    print(f"  without:                   {wo:8.1f} us/request")
    print(f"  difference:                {w - wo:8.1f} us/request")
    print(
        f"GET /metrics: median {statistics.median(scrape_ms):.2f} ms, max {max(scrape_ms):.2f} ms"
    )


if __name__ == "__main__":
    main()
