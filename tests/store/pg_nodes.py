"""Throwaway PostgreSQL servers for the failover tests: a primary and a streaming standby.

Debian's server binaries, ``initdb`` (or ``pg_basebackup -R`` for a standby) into a
temporary directory, a free loopback port, trust authentication, fsync off. No Patroni:
these tests prove what the store does when the primary moves (the standby is promoted by
hand), not how a cluster decides to move it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Node:
    """One private PostgreSQL server."""

    def __init__(self, primary: Node | None = None) -> None:
        self.bin = Path(BINARIES[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="deconflict-pgnode-"))
        self.data = self.dir / "data"
        self.port = free_port()
        # initdb refuses to run as root: run the server as the postgres user then.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            shutil.chown(self.dir, self.user)
        if primary is None:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")
        else:
            self._run(
                "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                "postgres",
                "-D",
                str(self.data),
                "-R",
                "-X",
                "stream",
            )

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            user=self.user,
            timeout=120,
        )

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Node:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", log, "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def promote(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def pids(self) -> list[int]:
        """The postmaster (first line of postmaster.pid) and its children, from /proc."""
        master = int((self.data / "postmaster.pid").read_text().split()[0])
        pids = [master]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
        return pids

    def signal_all(self, sig: signal.Signals) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self.signal_all(signal.SIGCONT)
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def multi_host_url(*nodes: Node, attrs: str = "read-write") -> str:
    hosts = "&".join(f"host={n.host}" for n in nodes)
    return f"postgresql+psycopg://postgres@/postgres?{hosts}&target_session_attrs={attrs}"
