"""A highly available PostgreSQL for trying out and testing: one etcd, three PostgreSQL 15
nodes under Patroni, synchronous replication, loopback ports, one directory.

    python -m deploy.ha up [--dir DIR]       start it, print the ports and the service URL
    python -m deploy.ha status [--dir DIR]   who leads, who is the synchronous standby
    python -m deploy.ha down [--dir DIR]     stop everything it started, then delete DIR

Nothing here decides who leads or when to fail over: Patroni does, with etcd as its
consensus store (issue 19 forbids failover logic of our own). This module only writes
their configuration, starts the processes, waits until the cluster is whole, and stops
them again, leaving no process behind (``down`` also finds the postmasters, which
Patroni starts in sessions of their own).

It uses the standard library only, so it runs with the system Python as well as the
project's venv; the processes are Debian's (``etcd-server``, ``patroni``,
``postgresql-15``). PostgreSQL refuses to run as root: under root every process runs as
the ``postgres`` user, in directories that user owns.

``Cluster`` is also the tests' and benchmarks' handle on the processes: kill or pause a
node's PostgreSQL or its Patroni, start a node again, ask Patroni who leads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("DECONFLICT_HA_PG_BIN", "/usr/lib/postgresql/15/bin"))
PATRONI = os.environ.get("DECONFLICT_HA_PATRONI", "/usr/bin/patroni")
ETCD = os.environ.get("DECONFLICT_HA_ETCD", "/usr/bin/etcd")
DEFAULT_DIR = Path(os.environ.get("DECONFLICT_HA_DIR", "/tmp/deconflict-ha"))
DATABASE = "deconflict"
"""The database the service uses; ``up`` creates it on the primary."""
SCOPE = "deconflict"
NODES = 3
START_TIMEOUT_S = 90.0
"""A safety net: a cluster not whole by then has failed to start (it takes about 10 s)."""

# Patroni's clock. A leader that stops renewing its key loses it after TTL seconds, and
# only then may a standby take over: TTL bounds failover after the loss of a whole node
# (Patroni and PostgreSQL). Patroni requires loop_wait + 2 x retry_timeout <= ttl. The
# defaults (30, 10, 10) are for wide-area networks; these suit one machine or one site.
TTL_S = 10
LOOP_WAIT_S = 1
RETRY_TIMEOUT_S = 4

PG_PARAMETERS: dict[str, Any] = {
    # Two service replicas hold up to 30 connections each, and the benchmark runs four.
    "max_connections": 200,
    "shared_buffers": "64MB",
    "wal_keep_size": "256MB",
    "max_wal_senders": 10,
    "max_replication_slots": 10,
    # A commit returns once the synchronous standby has flushed it (Patroni sets
    # synchronous_standby_names): an acknowledged write is on two disks.
    "synchronous_commit": "on",
    "hot_standby": "on",
    # A standby whose primary went away tries the new one after this long (default 5 s):
    # under synchronous_mode_strict, writes on a new primary wait for a standby to follow.
    "wal_retrieve_retry_interval": "1s",
    "wal_log_hints": "on",  # pg_rewind, to bring a deposed primary back as a standby
    "listen_addresses": "127.0.0.1",
}


def patroni_version() -> tuple[int, ...]:
    out = subprocess.run([PATRONI, "--version"], capture_output=True, text=True, timeout=30)
    return tuple(int(x) for x in out.stdout.split()[-1].split(".")[:3])


def dcs_section() -> str:
    """Which of etcd's APIs Patroni is told to use: ``etcd3`` from Patroni 3.0.3 on,
    ``etcd`` (the v2 API) before.

    Patroni 3.0.2 (Debian 12's) renews an expired leader key over the v3 API with an
    unconditional put: a primary paused past the TTL wakes up, takes the key back from
    the standby promoted meanwhile, and the writes acknowledged on that new primary are
    rewound away. The partition proof (``tests/e2e/ha``) lost writes that way. Upstream
    fixed it in 3.0.3 (patroni/patroni#2689: compare, then put); the v2 API was never
    affected, since Patroni renews the key there with compare-and-swap on its value
    (``prevValue``), which fails once another node holds it.
    """
    return "etcd3" if patroni_version() >= (3, 0, 3) else "etcd"


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Node:
    """One PostgreSQL under its Patroni."""

    name: str
    pg_port: int
    rest_port: int
    patroni_pid: int | None = None

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"


@dataclass
class State:
    """What ``up`` started, written to ``DIR/cluster.json`` for ``status`` and ``down``."""

    dir: str
    user: str | None
    etcd_client_port: int
    etcd_peer_port: int
    nodes: list[Node]
    etcd_pid: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State:
        raw = json.loads(path.read_text())
        raw["nodes"] = [Node(**n) for n in raw["nodes"]]
        return cls(**raw)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))


class ClusterError(RuntimeError):
    """The cluster could not be started or reached; the message names the log to read."""


class Cluster:
    """One etcd and ``NODES`` Patroni-managed PostgreSQL nodes under ``root``.

    ``Cluster.create(root)`` picks free ports; ``Cluster.open(root)`` reads the state of
    a cluster started before (by another process, e.g. ``python -m deploy.ha up``).
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.root = Path(state.dir)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def create(cls, root: Path | None = None, *, strict: bool = True) -> Cluster:
        """A new cluster's directories and configuration (nothing started yet).

        ``strict``: Patroni's ``synchronous_mode_strict`` (see ``patroni_config``).
        """
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="deconflict-ha-"))
        root.mkdir(parents=True, exist_ok=True)
        if (root / "cluster.json").exists():
            raise ClusterError(f"{root} already holds a cluster: run 'down' first")
        user = "postgres" if os.geteuid() == 0 else None
        if user is not None:
            _check_reachable(root.resolve(), user)
        nodes = [
            Node(name=f"pg{i + 1}", pg_port=free_port(), rest_port=free_port())
            for i in range(NODES)
        ]
        state = State(
            dir=str(root),
            user=user,
            etcd_client_port=free_port(),
            etcd_peer_port=free_port(),
            nodes=nodes,
            extra={"strict": strict},
        )
        cluster = cls(state)
        for node in nodes:
            (root / node.name).mkdir(exist_ok=True)
            cluster.config_path(node).write_text(json.dumps(cluster.patroni_config(node), indent=2))
        (root / "etcd").mkdir(exist_ok=True)
        if user is not None:
            cluster._chown_tree(root, user)
        state.save(root / "cluster.json")
        return cluster

    @classmethod
    def open(cls, root: Path) -> Cluster:
        path = root / "cluster.json"
        if not path.exists():
            raise ClusterError(f"no cluster in {root} (start one with 'up')")
        return cls(State.load(path))

    @staticmethod
    def _chown_tree(root: Path, user: str) -> None:
        pw = pwd.getpwnam(user)
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                os.chown(name, pw.pw_uid, pw.pw_gid)

    def config_path(self, node: Node) -> Path:
        return self.root / f"{node.name}.yml"

    def data_dir(self, node: Node) -> Path:
        return self.root / node.name / "data"

    def patroni_config(self, node: Node) -> dict[str, Any]:
        """Patroni's configuration of ``node`` (JSON is YAML, so no YAML writer is needed).

        ``synchronous_mode: true`` makes Patroni name one standby synchronous and promote
        only that standby, so a failover never loses an acknowledged commit.
        ``synchronous_mode_strict: true`` (the default here) also keeps that promise when
        both standbys are gone: the primary then stops acknowledging writes (they wait,
        and the service's deadline turns them into 503s) instead of accepting writes that
        exist on its disk alone. Without it Patroni drops to asynchronous replication, and
        losing the primary then would lose writes the service has acknowledged, which a
        deconfliction service must not do: a plan accepted and then forgotten lets a
        conflicting plan be accepted next. Strictness costs availability only when two
        of three database nodes are down at once.
        """
        strict = bool(self.state.extra.get("strict", True))
        home = self.root / node.name
        return {
            "scope": SCOPE,
            "namespace": "/deconflict-ha/",
            "name": node.name,
            "log": {"level": "INFO", "format": "%(asctime)s %(levelname)s: %(message)s"},
            "restapi": {
                "listen": f"127.0.0.1:{node.rest_port}",
                "connect_address": f"127.0.0.1:{node.rest_port}",
            },
            dcs_section(): {
                "hosts": [f"127.0.0.1:{self.state.etcd_client_port}"],
                "protocol": "http",
            },
            "bootstrap": {
                "dcs": {
                    "ttl": TTL_S,
                    "loop_wait": LOOP_WAIT_S,
                    "retry_timeout": RETRY_TIMEOUT_S,
                    "maximum_lag_on_failover": 1048576,
                    # A primary whose PostgreSQL crashed is restarted in place (crash
                    # recovery, under a second here) unless that takes longer than this;
                    # then the synchronous standby, which has every commit, takes over.
                    "primary_start_timeout": TTL_S,
                    "synchronous_mode": True,
                    "synchronous_mode_strict": strict,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": PG_PARAMETERS,
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, {"auth": "trust"}],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{node.pg_port}",
                "connect_address": f"127.0.0.1:{node.pg_port}",
                "data_dir": str(self.data_dir(node)),
                "bin_dir": str(PG_BIN),
                "pgpass": str(home / "pgpass"),
                "authentication": {
                    "superuser": {"username": "postgres"},
                    "replication": {"username": "postgres"},
                    "rewind": {"username": "postgres"},
                },
                "parameters": {"unix_socket_directories": str(home)},
                "pg_hba": [
                    "local all all trust",
                    "local replication all trust",
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                ],
            },
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
        }

    # -- what clients need ------------------------------------------------------------

    @property
    def nodes(self) -> list[Node]:
        return self.state.nodes

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def url(self, database: str = DATABASE, driver: str = "postgresql+psycopg") -> str:
        """The service's database URL: every node, and libpq keeps the one that takes
        writes (``target_session_attrs=read-write``), whichever Patroni made primary."""
        hosts = "&".join(f"host=127.0.0.1:{n.pg_port}" for n in self.nodes)
        return f"{driver}://postgres@/{database}?{hosts}&target_session_attrs=read-write"

    def libpq_dsn(self, node: Node, database: str = DATABASE) -> str:
        """A plain libpq URL of one node (psycopg, psql)."""
        return f"postgresql://postgres@127.0.0.1:{node.pg_port}/{database}"

    # -- processes ------------------------------------------------------------------

    def _popen(self, cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
        """Start ``cmd`` as the cluster's user in a session of its own, so that neither
        a terminal's Ctrl-C nor the caller's exit reaches it: only ``down`` stops it."""
        with log.open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=str(self.root),
                user=self.state.user,
                start_new_session=True,
                env={**os.environ, "PATH": f"{PG_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
            )
        if self.state.user is not None:
            with contextlib.suppress(OSError):
                shutil.chown(log, self.state.user)
        return proc

    def start_etcd(self) -> None:
        s = self.state
        peer = f"http://127.0.0.1:{s.etcd_peer_port}"
        client = f"http://127.0.0.1:{s.etcd_client_port}"
        proc = self._popen(
            [
                ETCD,
                "--name=etcd1",
                f"--data-dir={self.root / 'etcd' / 'data'}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=etcd1={peer}",
                "--initial-cluster-state=new",
                f"--initial-cluster-token=deconflict-{s.etcd_client_port}",
                # Patroni before 3.0.3 speaks etcd's v2 API (see ``dcs_section``).
                "--enable-v2=true",
                "--logger=zap",
                "--log-level=warn",
            ],
            self.root / "etcd" / "etcd.log",
        )
        s.etcd_pid = proc.pid
        self._save()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ClusterError(f"etcd exited: see {self.root / 'etcd' / 'etcd.log'}")
            try:
                with urllib.request.urlopen(f"{client}/health", timeout=1) as r:
                    if json.load(r).get("health") == "true":
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise ClusterError(f"etcd not healthy: see {self.root / 'etcd' / 'etcd.log'}")

    def start_node(self, node: Node) -> None:
        """Start ``node``'s Patroni; it starts (or bootstraps, or rewinds) PostgreSQL."""
        proc = self._popen(
            [PATRONI, str(self.config_path(node))], self.root / node.name / "patroni.log"
        )
        node.patroni_pid = proc.pid
        self._save()

    def _save(self) -> None:
        self.state.save(self.root / "cluster.json")

    def up(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start etcd, then the first node (it bootstraps the primary), then the other
        two (they clone it), and wait until the cluster is whole; create the database."""
        deadline = time.monotonic() + timeout_s
        self.start_etcd()
        first, *others = self.nodes
        self.start_node(first)
        while self.leader() is None or self.primary_state() != "running":
            self._check_alive(deadline)
            time.sleep(0.2)
        for node in others:
            self.start_node(node)
        # Only now: under synchronous_mode_strict a commit waits for a standby.
        self.wait_whole(deadline - time.monotonic())
        leader = self.leader()
        assert leader is not None
        self._create_database(leader)

    def _check_alive(self, deadline: float) -> None:
        for n in self.nodes:
            if n.patroni_pid is not None and not pid_alive(n.patroni_pid):
                raise ClusterError(f"Patroni of {n.name} exited: see {self.root / n.name}")
        if time.monotonic() > deadline:
            raise ClusterError(f"the cluster did not come up: see the logs under {self.root}")

    def _create_database(self, node: Node) -> None:
        host = ["-h", "127.0.0.1", "-p", str(node.pg_port), "-U", "postgres"]
        exists = subprocess.run(
            [
                str(PG_BIN / "psql"),
                *host,
                "-Atc",
                f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if exists.stdout.strip() != "1":
            subprocess.run(
                [str(PG_BIN / "createdb"), *host, DATABASE],
                check=True,
                capture_output=True,
                timeout=30,
            )

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster (``GET /cluster``), from any node that answers."""
        for n in self.nodes:
            try:
                with urllib.request.urlopen(f"{n.rest_url}/cluster", timeout=1) as r:
                    members: list[dict[str, Any]] = json.load(r)["members"]
                    return members
            except (OSError, ValueError, KeyError):
                continue
        return []

    def leader(self) -> Node | None:
        """The node Patroni names leader now (etcd's leader key), if any."""
        for m in self.members():
            if m["role"] == "leader":
                return self.node(m["name"])
        return None

    def primary_state(self) -> str | None:
        for m in self.members():
            if m["role"] == "leader":
                return str(m.get("state"))
        return None

    def is_whole(self) -> bool:
        """A running leader, a running synchronous standby, and every node running."""
        members = self.members()
        roles = {m["role"] for m in members if m.get("state") in ("running", "streaming")}
        return (
            len(members) == NODES
            and roles >= {"leader", "sync_standby"}
            and all(m.get("state") in ("running", "streaming") for m in members)
        )

    def wait_whole(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.is_whole():
            self._check_alive(deadline)
            time.sleep(0.2)

    def postmaster_pid(self, node: Node) -> int | None:
        """The node's postmaster, from ``postmaster.pid`` (``None`` when not running)."""
        try:
            pid = int((self.data_dir(node) / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def postgres_pids(self, node: Node) -> list[int]:
        """The postmaster and every process it started."""
        master = self.postmaster_pid(node)
        return [] if master is None else [master, *descendants([master])]

    def kill_postgres(self, node: Node) -> None:
        """SIGKILL the node's postmaster and its backends: the database process dies as in
        a crash, with no shutdown checkpoint and no goodbye to clients or standbys."""
        for pid in self.postgres_pids(node):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop_patroni(self, node: Node, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the node's Patroni: SIGTERM lets it shut PostgreSQL down and hand the
        leader key back; SIGKILL leaves the key to expire after TTL (a lost machine)."""
        pid = node.patroni_pid
        if pid is not None and pid_alive(pid):
            os.kill(pid, sig)
            wait_gone([pid], 30.0)
        node.patroni_pid = None
        self._save()

    def pause(self, node: Node) -> list[int]:
        """SIGSTOP the node's Patroni and PostgreSQL: to the rest of the world it is
        partitioned away (its sockets stay open, the kernel still ACKs, nothing answers)."""
        pids = [p for p in [node.patroni_pid, *self.postgres_pids(node)] if p is not None]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        return pids

    def resume(self, pids: list[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def down(self, remove: bool = True) -> None:
        """Stop every node, then etcd, and leave no process behind; remove the directory."""
        # The standbys first, then the primary: stopped together, the primary's Patroni
        # waits for standbys that are going away to confirm its shutdown checkpoint.
        leader = self.leader()
        order = [n for n in self.nodes if n is not leader] + ([leader] if leader else [])
        patronis: list[int] = []
        for group in (order[:-1], order[-1:]):
            pids = [n.patroni_pid for n in group if n.patroni_pid and pid_alive(n.patroni_pid)]
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)  # a paused node would never hear SIGTERM
                    os.kill(pid, signal.SIGTERM)
            wait_gone(pids, 30.0)
            patronis += pids
        leftovers = [p for p in patronis if pid_alive(p)]
        for node in self.nodes:
            leftovers += self.postgres_pids(node)
        leftovers += processes_under(self.root)
        if self.state.etcd_pid and pid_alive(self.state.etcd_pid):
            leftovers.append(self.state.etcd_pid)
        leftovers += descendants(leftovers)
        for pid in set(leftovers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
        wait_gone(list(set(leftovers)), 10.0)
        for n in self.nodes:
            n.patroni_pid = None
        self.state.etcd_pid = None
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            self._save()


def _check_reachable(root: Path, user: str) -> None:
    """Refuse a directory ``user`` could not reach (a parent without search permission
    for others, e.g. pytest's 0700 temporary directories): PostgreSQL would fail later
    with a less helpful message."""
    pw = pwd.getpwnam(user)
    for parent in root.parents:
        st = parent.stat()
        if st.st_uid != pw.pw_uid and not st.st_mode & 0o001:
            raise ClusterError(
                f"{parent} is not searchable by the {user} user: choose another --dir"
            )


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: list[int], timeout_s: float) -> None:
    """Wait for ``pids`` to exit, reaping the ones that are our own children."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        if not any(pid_alive(p) for p in pids):
            return
        time.sleep(0.05)


def _proc_table() -> Iterator[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        yield int(entry.name), ppid, cmdline


def descendants(pids: list[int]) -> list[int]:
    """Every process below ``pids`` in the process tree."""
    children: dict[int, list[int]] = {}
    for pid, ppid, _ in _proc_table():
        children.setdefault(ppid, []).append(pid)
    out: list[int] = []
    todo = list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def processes_under(root: Path) -> list[int]:
    """Processes whose command line names ``root``: Patroni, etcd, postmasters, and
    whatever they run (pg_basebackup, pg_rewind), even after ``cluster.json`` lost a pid."""
    marker = str(root)
    return [pid for pid, _, cmd in _proc_table() if marker in cmd and pid != os.getpid()]


def require_binaries() -> list[str]:
    """What is missing to run a cluster on this machine (Debian package names)."""
    missing = []
    if not Path(ETCD).exists():
        missing.append("etcd-server")
    if not Path(PATRONI).exists():
        missing.append("patroni")
    if not (PG_BIN / "postgres").exists():
        missing.append("postgresql-15")
    return missing


def print_status(cluster: Cluster) -> None:
    members = cluster.members()
    print(f"directory: {cluster.root}")
    print(f"etcd: http://127.0.0.1:{cluster.state.etcd_client_port}")
    for n in cluster.nodes:
        m = next((m for m in members if m["name"] == n.name), {})
        role, state = m.get("role", "-"), m.get("state", "not running")
        print(
            f"{n.name}: postgres 127.0.0.1:{n.pg_port}, patroni {n.rest_url}: "
            f"{role}, {state}, timeline {m.get('timeline', '-')}, lag {m.get('lag', '-')}"
        )
    print(f"service URL: {cluster.url()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.ha", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"default {DEFAULT_DIR}")
    parser.add_argument(
        "--no-strict",
        action="store_true",
        help="synchronous_mode_strict off: keep writing on a primary left without standbys",
    )
    args = parser.parse_args(argv)
    root: Path = args.dir.resolve()
    try:
        if args.command == "up":
            missing = require_binaries()
            if missing:
                print(f"missing: apt-get install {' '.join(missing)}", file=sys.stderr)
                return 2
            cluster = Cluster.create(root, strict=not args.no_strict)
            t0 = time.monotonic()
            try:
                cluster.up()
            except BaseException:
                cluster.down(remove=False)
                raise
            print(f"up in {time.monotonic() - t0:.1f} s")
            print_status(cluster)
        elif args.command == "status":
            print_status(Cluster.open(root))
        else:
            Cluster.open(root).down()
            print(f"stopped; {root} removed")
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
