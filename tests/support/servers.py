"""Servers a run may crash: a private Redis and a private PostgreSQL cluster (never the shared
ones, which other runs use). Part of the process harness (tests/support/processes.py)."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.support.processes import Child, ProcessError, free_port, port_open

POSTGRES_BIN = Path(os.environ.get("TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))

# Clusters still running, stopped at exit if a stop never ran (pg_ctl daemonizes them).
_live_clusters: set[PrivatePostgres] = set()


@atexit.register
def _stop_leftovers() -> None:
    for cluster in list(_live_clusters):
        cluster.stop()


# --- Redis -----------------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` (never the shared 6379) that may be stopped, killed and
    started again on the same port, empty: no RDB, no AOF, as a lost Redis comes back."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ProcessError("redis-server is not installed (Debian package redis-server)")
        self.port = port or free_port()
        directory.mkdir(parents=True, exist_ok=True)
        self.child = Child(
            "redis",
            [
                binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(directory)),
            ],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            directory / "redis.log",
            port=self.port,
        )

    @property
    def url(self) -> str:
        """What to give as REDIS_URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.child.alive

    def start(self) -> RedisServer:
        """Start (again) and wait until it accepts connections."""
        assert not self.running, "redis-server is already running"
        if self.child.process is None and port_open(self.port):
            # Taken since it was chosen (a shared machine): the first start may move, a restart
            # may not (its clients hold the URL).
            old = str(self.port)
            self.port = self.child.port = free_port()
            self.child.argv = [str(self.port) if arg == old else arg for arg in self.child.argv]
        self.child.start().wait_for_port(timeout=10)
        return self

    def stop(self) -> None:
        """A clean shutdown."""
        self.child.stop()

    def kill(self) -> None:
        """SIGKILL: a crash."""
        self.child.kill()

    def log(self) -> str:
        """The server's log so far."""
        return self.child.log()


# --- PostgreSQL ------------------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb, pg_ctl) that may be crashed and restarted.

    Never the machine's server: other runs use that one, and this one gets restarted with
    ``pg_ctl restart -m immediate`` (a crash: no checkpoint, recovery from the WAL at start). As
    root, initdb and pg_ctl run as the ``postgres`` user, which refuses to run as root; the
    cluster lives in a folder of its own under the system's temp folder, which that user can
    reach. ``fsync=off``: the machine does not crash, only the server, so the operating system
    keeps what was written.
    """

    def __init__(self, port: int | None = None, bin_dir: Path = POSTGRES_BIN) -> None:
        self.port = port or free_port()
        self.bin_dir = bin_dir
        self.directory = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.restarts = 0

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for ``database`` on this cluster (trust auth, user postgres)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, timeout: float = 120.0) -> str:
        binary = self.bin_dir / tool
        if not binary.exists():
            raise ProcessError(
                f"{binary} is missing: a private cluster needs PostgreSQL's server binaries "
                "(Debian package postgresql-15) or TEST_POSTGRES_BIN"
            )
        command = [str(binary), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        # From the cluster's folder: the postgres user may not read the current one.
        result = subprocess.run(
            command, cwd=self.directory, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise ProcessError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self.log()}"
            )
        return result.stdout

    def _pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.directory} -c fsync=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, *args)

    def init(self) -> PrivatePostgres:
        """initdb a fresh cluster (UTF8, trust on loopback)."""
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ProcessError("running as root needs the 'postgres' user") from exc
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", "postgres", "-A", "trust"),
            *("-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"),
        )
        return self

    def start(self) -> PrivatePostgres:
        """Start the server and wait until it accepts connections."""
        _live_clusters.add(self)
        self._pg_ctl("-w", "-t", "60", "start")
        return self

    def restart(self) -> float:
        """Crash the server (``-m immediate``) and start it again; the seconds it was away."""
        began = time.monotonic()
        self._pg_ctl("-m", "immediate", "-w", "-t", "60", "restart")
        self.restarts += 1
        return time.monotonic() - began

    def stop(self) -> None:
        """Stop the server at once and remove the cluster."""
        if self in _live_clusters:
            _live_clusters.discard(self)
            with contextlib.suppress(ProcessError, subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """Create database ``name``; its SQLAlchemy URL."""
        libpq = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def log(self) -> str:
        """The server's log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
