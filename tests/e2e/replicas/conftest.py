"""Real servers, real databases: helpers for the proofs of issue 6.

Servers are ``.venv/bin/deconflict serve`` subprocesses on free loopback ports; two
replicas share one data directory so that they trust the same signing key. Each
PostgreSQL test gets an empty schema of its own (``database_url``, ``pg_schema``: the
servers migrate it as they start) on the server named by ``DECONFLICT_TEST_DATABASE_URL``,
so tests and xdist workers never see each other's rows.

``DECONFLICT_TEST_SERVE`` (a command line) replaces ``.venv/bin/deconflict`` as the
server command: run the proofs against a patched build without installing it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from deconflict.cli.token import token_command
from tests.conftest import PG_URL

BIN = Path(sys.executable).parent
DECONFLICT = str(BIN / "deconflict")
START_TIMEOUT_S = 90.0
"""Safety net only: a server that is not healthy by then has failed to start."""

PASSED_SETTINGS = ("DECONFLICT_LIMITS__", "DECONFLICT_DSS__")
"""The test process's settings a server started here reads too; it ignores the others."""

needs_pg = pytest.mark.skipif(PG_URL is None, reason="DECONFLICT_TEST_DATABASE_URL is not set")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """One ``deconflict serve`` process; ``start`` again after a kill to restart it."""

    def __init__(self, data_dir: Path, database: str, port: int | None = None, *args: str) -> None:
        self.data_dir = data_dir
        self.database = database
        self.args = args
        """More ``serve`` options, e.g. ``--database-timeout 3``."""
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        cmd = [
            *os.environ.get("DECONFLICT_TEST_SERVE", DECONFLICT).split(),
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        cmd += ["--database", self.database, *self.args]
        # The server reads its own settings, except the suite's wide plan horizon
        # (tests/conftest.py): these tests plan at fixed dates years ahead; and the DSS
        # settings a test sets for its servers (``monkeypatch.setenv``).
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DECONFLICT_") or k.startswith(PASSED_SETTINGS)
        }
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
        self.wait_healthy()
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthy", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server on {self.url} not healthy: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback; the harshest crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    """Starts servers and stops every one of them at teardown, whatever happened;
    arguments after the database are more ``serve`` options."""
    started: list[Server] = []

    def start(data_dir: Path, database: str, *args: str) -> Server:
        server = Server(data_dir, database, None, *args)
        started.append(server)
        return server.start()

    yield start
    for s in started:
        s.stop()


def cli_token(data_dir: Path, sub: str, *scopes: str) -> str:
    """A token from ``deconflict token``, exactly as an operator would mint one."""
    cmd = [DECONFLICT, "token", "--sub", sub, "--data-dir", str(data_dir)]
    for s in scopes or ("deconflict.plan",):
        cmd += ["--scope", s]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.strip()


def token(data_dir: Path, sub: str, *scopes: str) -> str:
    """The same token as ``cli_token``, minted by the function the CLI runs, in-process:
    sixteen parties would otherwise cost sixteen interpreter start-ups."""
    return token_command(sub, list(scopes or ("deconflict.plan",)), data_dir)
