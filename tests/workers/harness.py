"""The harness of the process tests: a private Redis and PostgreSQL, the child processes, polling.

Children (``celery -A workers worker``, ``celery -A workers beat``, gunicorn, the ``tracker``
command) run from the project folder with the venv's console scripts and are configured only
through their environment, as in production (DESIGN §5.3, §5.4). Each runs in a session (process
group) of its own, so stopping or SIGKILLing it reaches its pool children too. The fixtures that
put this together are in conftest.py beside it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
import redis
from sqlalchemy import func, select

from tests.conftest import DATA
from tests.support.twilio_standin import Received, Scripted, TwilioStandin
from tracker.db import Database
from tracker.models import Notice

ROOT = Path(__file__).resolve().parents[2]
# The venv the tests run in holds the console scripts (celery, gunicorn, tracker).
BIN = Path(sys.executable).parent
WATCH_CATALOGUE = DATA / "watch-catalogue.yaml"
TWILIO_FROM = "+15005550006"
MAIL_FROM = "notices@kcg.example"
# How long a child has to come up before the test gives up and shows its log.
READY_TIMEOUT = 30.0
LOG_TAIL_LINES = 150

T = TypeVar("T")

# Process groups still running, killed at interpreter exit if a teardown never ran (Ctrl-C twice).
_live_groups: set[int] = set()
# Private PostgreSQL clusters still running, stopped at exit likewise (pg_ctl daemonizes them).
_live_clusters: set[PrivatePostgres] = set()


@atexit.register
def _kill_leftovers() -> None:
    for group in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    for cluster in list(_live_clusters):
        cluster.stop()


# --- small helpers ---------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(
    check: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str | Callable[[], str],
) -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            message = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


def status_counts(db: Database) -> dict[str, int]:
    """How many notices are in each status."""
    with db.transaction() as session:
        rows = session.execute(select(Notice.status, func.count()).group_by(Notice.status))
        return dict(rows.all())  # type: ignore[arg-type]


def database_url_for_children(postgres_url: str) -> str:
    """The documented ``postgresql://`` form (DESIGN §5.4), as an operator would write it."""
    return postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)


def child_env(
    *,
    database_url: str,
    redis_url: str,
    standin: TwilioStandin,
    smtp_url: str,
    web_port: int,
    instance: Path,
) -> dict[str, str]:
    """Every child's environment: the settings of DESIGN §5.4, aimed at these parts."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Whatever the developer's shell configures must not leak into the children.
        if not key.startswith(("DATABASE_", "REDIS_", "TWILIO_", "SMTP_", "MAIL_", "SMS_"))
        and key not in ("PUBLIC_BASE_URL", "TRACKER_INSTANCE", "SECRET_KEY")
    }
    instance.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "DATABASE_URL": database_url_for_children(database_url),
            "REDIS_URL": redis_url,
            "TWILIO_ACCOUNT_SID": standin.account_sid,
            "TWILIO_AUTH_TOKEN": standin.auth_token,
            "TWILIO_FROM": TWILIO_FROM,
            "TWILIO_API_BASE": standin.base_url,
            "SMTP_URL": smtp_url,
            "MAIL_FROM": MAIL_FROM,
            # Empty disables quiet hours: the time of day the tests run at must not matter.
            "SMS_QUIET_HOURS": "",
            # Twilio's status callbacks (the stand-in plays them) reach the web process here.
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
            "TRACKER_INSTANCE": str(instance),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


# --- Redis -----------------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` that a test may stop, kill and start again on the same port."""

    def __init__(self, binary: str, port: int, directory: Path) -> None:
        self.binary = binary
        self.port = port
        self.directory = directory
        self.log_path = directory / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """What to give as REDIS_URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start (again) on the same port, empty: no RDB, no AOF, as a lost Redis comes back."""
        assert not self.running, "redis-server is already running"
        command = [
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
            *("--dir", str(self.directory), "--logfile", str(self.log_path)),
            *("--daemonize", "no"),
        ]
        self.process = subprocess.Popen(command, start_new_session=True)
        _live_groups.add(self.process.pid)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:

            def answers() -> bool:
                if not self.running:
                    pytest.fail(f"redis-server exited at start:\n{self.log()}")
                try:
                    return bool(client.ping())
                except redis.ConnectionError:
                    return False

            wait_until(answers, timeout=10, interval=0.05, what="redis-server to answer PING")
        finally:
            client.close()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the server with ``sig`` (SIGTERM: a clean shutdown; SIGKILL: a crash)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        _live_groups.discard(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the server."""
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        """The server's log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# --- PostgreSQL ------------------------------------------------------------------------------

POSTGRES_BIN = Path(os.environ.get("TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb, pg_ctl) that a test may crash and restart.

    Never the machine's server: other test runs use that one, and this one gets restarted with
    ``pg_ctl restart -m immediate`` (a crash: no checkpoint, recovery from the WAL at start). As
    root, initdb and pg_ctl run as the ``postgres`` user, which refuses to run as root; the
    cluster lives in a folder of its own under the system's temp folder, which that user can
    reach (pytest's tmp_path is private to root). ``fsync=off``: the machine does not crash,
    only the server, so the operating system keeps what was written.
    """

    def __init__(self, port: int, bin_dir: Path = POSTGRES_BIN) -> None:
        self.port = port
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
            pytest.fail(
                f"{binary} is missing: the fault-injection run needs PostgreSQL's server "
                "binaries (apt-get install postgresql-15) or TEST_POSTGRES_BIN"
            )
        command = [str(binary), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        # From the cluster's folder: the postgres user may not read the current one.
        result = subprocess.run(
            command,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self.log()}"
            )
        return result.stdout

    def _options(self) -> str:
        return " ".join(
            (
                f"-p {self.port} -c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.directory}",
                "-c fsync=off -c max_connections=200",
            )
        )

    def init(self) -> PrivatePostgres:
        """initdb a fresh cluster (UTF8, trust on loopback)."""
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root needs the 'postgres' user for initdb and pg_ctl")
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
        self._run(
            "pg_ctl",
            *("-D", str(self.data), "-l", str(self.log_path), "-o", self._options()),
            *("-w", "-t", "60", "start"),
        )
        return self

    def restart(self) -> float:
        """Crash the server (``-m immediate``) and start it again; the seconds it was away."""
        began = time.monotonic()
        self._run(
            "pg_ctl",
            *("-D", str(self.data), "-l", str(self.log_path), "-o", self._options()),
            *("-m", "immediate", "-w", "-t", "60", "restart"),
        )
        self.restarts += 1
        return time.monotonic() - began

    def stop(self) -> None:
        """Stop the server at once and remove the cluster."""
        if self in _live_clusters:
            _live_clusters.discard(self)
            with contextlib.suppress(Exception):
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


# --- providers in the test process -----------------------------------------------------------


class SlowTwilioStandin(TwilioStandin):
    """The stand-in with a latency per message, so that a kill can land in the middle of a batch.

    The stand-in has scripted failures and failure rates but no "slow success"; this adds one
    without touching tests/support. The wait happens before the answer is chosen, outside its lock.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latency = 0.0
        # A client killed mid-request (the SIGKILL test) resets its connection: expected here,
        # so not worth socketserver's traceback on stderr.
        self._server.handle_error = _quiet_on_reset(self._server.handle_error)  # type: ignore[method-assign,assignment]

    def _choose(self, to: str) -> Scripted | None:
        if self.latency:
            self._stopping.wait(self.latency)
        return super()._choose(to)


def _quiet_on_reset(handle_error: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def handle(request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            handle_error(request, client_address)

    return handle


def accepted_sms(standin: TwilioStandin, marker: str | None = None) -> list[Received]:
    """Messages the stand-in accepted, those whose body contains ``marker`` if given."""
    return [r for r in standin.accepted if marker is None or marker in (r.body or "")]


# --- child processes -------------------------------------------------------------------------


@dataclass
class Child:
    """One child process with its log; restarting appends to the same log."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_at_offset: int = 0  # where the log of the current run begins
    supervised: bool = False
    restarts: int = 0
    exits: list[int] = field(default_factory=list)  # exit codes of runs that ended by themselves
    stopping: bool = False

    @property
    def pid(self) -> int:
        """The process id (also its process group id)."""
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Whether the current run is still going."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> Child:
        """Start a run (in its own session, so its pool children share its process group)."""
        self.stopping = False
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.started_at_offset = log.tell()
            log.write(f"\n=== {self.name} started: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _live_groups.add(self.process.pid)
        return self

    def log(self, *, current_run: bool = False) -> str:
        """The log (of every run, or of the current one)."""
        if not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        if current_run:
            data = data[self.started_at_offset :]
        return data.decode(errors="replace")

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The end of the log, for a failure report."""
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_for_log(self, text: str, *, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the current run logs ``text``; fail (with the log) if it exits first."""

        def seen() -> bool:
            if text in self.log(current_run=True):
                return True
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.process.returncode} before logging "
                    f"{text!r}:\n{self.tail()}"
                )
            return False

        wait_until(
            seen, timeout=timeout, what=lambda: f"{self.name} to log {text!r}:\n{self.tail()}"
        )

    def signal_group(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the whole process group (the main process and its pool)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def crash(self) -> None:
        """SIGKILL the process group and wait; a running ``supervise`` starts it again."""
        process = self.process
        self.signal_group(signal.SIGKILL)
        if process is not None:
            process.wait(timeout=10)
            _live_groups.discard(process.pid)

    def kill(self) -> None:
        """SIGKILL the process group at once: a crash, nothing gets to clean up."""
        self.stopping = True
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)
            _live_groups.discard(self.process.pid)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL if it takes longer than ``timeout``."""
        self.stopping = True
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.process.wait(timeout=10)
        # Pool children may outlive their parent for a moment; none may outlive the test.
        self.signal_group(signal.SIGKILL)
        _live_groups.discard(self.process.pid)


class Processes:
    """Starts the product's processes for one test and stops every one of them at the end."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.children: list[Child] = []
        self._supervisor: threading.Thread | None = None
        self._closing = threading.Event()

    def _command(self, name: str) -> str:
        path = BIN / name
        if not path.exists():
            pytest.fail(f"{path} is missing: install the project with its test extra")
        return str(path)

    def spawn(self, name: str, argv: list[str], *, supervised: bool = False) -> Child:
        """Start ``argv`` as the child ``name`` (a fresh log under the test's tmp folder)."""
        child = Child(name, argv, self.env, self.log_dir / f"{name}.log", supervised=supervised)
        self.children.append(child)
        return child.start()

    def worker(self, name: str = "worker", *, wait: bool = True, supervised: bool = False) -> Child:
        """``celery -A workers worker`` (DESIGN §5.3), two prefork processes, as in compose."""
        argv = [
            self._command("celery"),
            *("-A", "workers", "worker", "--loglevel", "INFO"),
            *("--concurrency", "2", "--pool", "prefork"),
            # A node name of its own: two workers in one test must not look like one.
            *("--hostname", f"{name}@%h"),
        ]
        child = self.spawn(name, argv, supervised=supervised)
        if wait:
            child.wait_for_log(" ready.")
        return child

    def restart(self, child: Child, *, ready_text: str | None = None) -> Child:
        """Start ``child`` again (same command, same log) and wait for ``ready_text``."""
        child.start()
        if ready_text:
            child.wait_for_log(ready_text)
        return child

    def beat(self, name: str = "beat", *, wait: bool = True, supervised: bool = False) -> Child:
        """``celery -A workers beat`` (DESIGN §5.3) with the redbeat scheduler from the config."""
        argv = [self._command("celery"), "-A", "workers", "beat", "--loglevel", "INFO"]
        child = self.spawn(name, argv, supervised=supervised)
        if wait:
            child.wait_for_log("beat: Starting...")
        return child

    def web(self, port: int, name: str = "web") -> Child:
        """``gunicorn "web:create_app()"`` (DESIGN §5.3) on a loopback port, one worker."""
        argv = [
            self._command("gunicorn"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
            "web:create_app()",
        ]
        child = self.spawn(name, argv)
        child.wait_for_log("Booting worker")
        wait_until(
            lambda: _port_open(port),
            timeout=READY_TIMEOUT,
            what=lambda: f"gunicorn to listen on {port}:\n{child.tail()}",
        )
        return child

    def tracker(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the real ``tracker`` command with the children's environment."""
        return subprocess.run(
            [self._command("tracker"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def supervise(self, interval: float = 0.5) -> None:
        """Restart supervised children that exit by themselves (compose's ``unless-stopped``).

        Each restart is counted on the child, with the exit code of the run that ended.
        """

        def loop() -> None:
            while not self._closing.wait(interval):
                for child in self.children:
                    if not child.supervised or child.stopping or child.process is None:
                        continue
                    code = child.process.poll()
                    if code is not None:
                        child.exits.append(code)
                        child.restarts += 1
                        child.start()

        self._supervisor = threading.Thread(target=loop, name="supervisor", daemon=True)
        self._supervisor.start()

    def close(self) -> None:
        """Stop the supervisor, then every child (SIGTERM, then SIGKILL)."""
        self._closing.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        for child in reversed(self.children):
            child.stop()

    def report(self) -> list[tuple[str, str]]:
        """Report sections: the end of each child's log."""
        return [(f"{child.name} log ({child.log_path})", child.tail()) for child in self.children]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
