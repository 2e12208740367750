"""The product's processes, started for real: one harness for the process tests and bench/.

Children (``celery -A workers worker``, ``celery -A workers beat``, gunicorn, the ``tracker``
command, the providers' stand-ins) run from the project folder with the venv's console scripts
and are configured only through their environment, as in production (DESIGN §5.3, §5.4). Each
runs in a session (process group) of its own, so stopping or SIGKILLing it reaches its pool
children too, and whatever is still running when the interpreter exits is killed.

The API:

- ``Processes(env, log_dir)``: ``worker()``, ``beat()``, ``web(port)``, ``standin(module)``,
  ``tracker(*args)``, ``supervise()`` (restart what exits, as compose's ``unless-stopped``),
  ``close()`` (stop everything), ``report()`` (the end of every log);
- ``child_env(...)``: the children's environment, aimed at the given parts;
- ``RedisServer`` and ``PrivatePostgres`` (tests/support/servers.py): a private Redis and a
  cluster of its own, which a run may kill and start again;
- ``free_port``, ``port_open``, ``wait_until``, ``rss_kib``, ``children_of``.

A part that cannot start (a binary missing, a child exiting early, a timeout) raises
``ProcessError`` with the log: the process tests then fail, never skip.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tests.support.twilio_standin import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
# The venv that runs this holds the console scripts (celery, gunicorn, tracker).
BIN = Path(sys.executable).parent
TWILIO_FROM = "+15005550006"
MAIL_FROM = "notices@kcg.example"
# A loaded 2-core machine starts Celery slowly.
READY_TIMEOUT = 60.0
LOG_TAIL_LINES = 150

T = TypeVar("T")

# Process groups still running, killed at exit if a stop never ran (Ctrl-C twice).
_live_groups: set[int] = set()


class ProcessError(RuntimeError):
    """A part could not be started or did not answer in time (the message holds its log)."""


@atexit.register
def _kill_leftovers() -> None:
    for group in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


# --- small helpers ---------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts connections on the loopback ``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(
    check: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str | Callable[[], str],
) -> T:
    """Poll ``check`` until it returns something truthy; ProcessError naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            message = what() if callable(what) else what
            raise ProcessError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


def rss_kib(pid: int) -> int:
    """Resident memory of one process (VmRSS), KiB; 0 when it has gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (a Celery pool's or gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def child_env(
    *,
    database_url: str,
    redis_url: str,
    twilio_api_base: str,
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
            # The documented postgresql:// form, as an operator would write it.
            "DATABASE_URL": database_url.replace("postgresql+psycopg://", "postgresql://", 1),
            "REDIS_URL": redis_url,
            "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
            "TWILIO_FROM": TWILIO_FROM,
            "TWILIO_API_BASE": twilio_api_base,
            "SMTP_URL": smtp_url,
            "MAIL_FROM": MAIL_FROM,
            # Empty disables quiet hours: the time of day a run happens at must not matter.
            "SMS_QUIET_HOURS": "",
            # Twilio's status callbacks (the stand-in plays them) reach the web process here.
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
            "TRACKER_INSTANCE": str(instance),
            # The web app and the worker refuse to start without a strong key (DESIGN §5.4).
            "SECRET_KEY": "process-tests-" + "p" * 40,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


# --- one child -------------------------------------------------------------------------------


@dataclass
class Child:
    """One child process group with its log; starting it again appends to the same log."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    log_path: Path
    port: int | None = None  # where it listens, if it serves
    process: subprocess.Popen[bytes] | None = None
    started_at_offset: int = 0  # where the log of the current run begins
    supervised: bool = False
    restarts: int = 0
    exits: list[int] = field(default_factory=list)  # codes of runs that ended by themselves
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
        """Start a run in its own session, so its pool children share its process group."""
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
        return data[self.started_at_offset if current_run else 0 :].decode(errors="replace")

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The end of the log, for a failure report."""
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_for_log(self, text: str, *, count: int = 1, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the current run logs ``text`` ``count`` times; fail if it exits first."""

        def seen() -> bool:
            if self.log(current_run=True).count(text) >= count:
                return True
            if self.process is not None and self.process.poll() is not None:
                raise ProcessError(
                    f"{self.name} exited with {self.process.returncode} before logging "
                    f"{text!r}:\n{self.tail()}"
                )
            return False

        wait_until(
            seen, timeout=timeout, what=lambda: f"{self.name} to log {text!r}:\n{self.tail()}"
        )

    def wait_for_port(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the child accepts connections on its port; fail if it exits first."""
        assert self.port is not None

        def listening() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise ProcessError(f"{self.name} exited at start:\n{self.tail()}")
            return port_open(self.port or 0)

        wait_until(listening, timeout=timeout, what=lambda: f"{self.name} on port {self.port}")

    def signal_group(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the whole process group (the main process and its pool)."""
        if self.process is not None:
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
        self.crash()

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
        # Pool children may outlive their parent for a moment; none may outlive the run.
        self.signal_group(signal.SIGKILL)
        _live_groups.discard(self.process.pid)


# --- the product's processes -----------------------------------------------------------------


class Processes:
    """Starts the product's processes and the stand-ins; ``close()`` stops every one of them."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.children: list[Child] = []
        self._supervisor: threading.Thread | None = None
        self._closing = threading.Event()

    def command(self, name: str) -> str:
        """The venv's console script ``name``."""
        path = BIN / name
        if not path.exists():
            raise ProcessError(f"{path} is missing: install the project with its test extra")
        return str(path)

    def spawn(
        self,
        name: str,
        argv: list[str],
        *,
        supervised: bool = False,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Child:
        """Start ``argv`` as the child ``name``, its log in ``log_dir``."""
        child = Child(
            name,
            argv,
            self.env if env is None else env,
            self.log_dir / f"{name}.log",
            port=port,
            supervised=supervised,
        )
        self.children.append(child)
        return child.start()

    def worker(
        self,
        name: str = "worker",
        *,
        concurrency: int = 2,
        wait: bool = True,
        supervised: bool = False,
    ) -> Child:
        """``celery -A workers worker`` (DESIGN §5.3), prefork, as docker-compose runs it."""
        argv = [
            self.command("celery"),
            *("-A", "workers", "worker", "--loglevel", "INFO"),
            *("--concurrency", str(concurrency), "--pool", "prefork"),
            # A node name of its own: two workers in one run must not look like one.
            *("--hostname", f"{name}@%h"),
        ]
        child = self.spawn(name, argv, supervised=supervised)
        if wait:
            child.wait_for_log(" ready.")
        return child

    def beat(self, name: str = "beat", *, wait: bool = True, supervised: bool = False) -> Child:
        """``celery -A workers beat`` (DESIGN §5.3) with the redbeat scheduler from the config."""
        argv = [self.command("celery"), "-A", "workers", "beat", "--loglevel", "INFO"]
        child = self.spawn(name, argv, supervised=supervised)
        if wait:
            child.wait_for_log("beat: Starting...")
        return child

    def web(
        self,
        port: int,
        *,
        name: str = "web",
        app: str = "web:create_app()",
        workers: int = 1,
        env: Mapping[str, str] | None = None,
    ) -> Child:
        """``gunicorn APP`` (DESIGN §5.3) on a loopback port, sync workers, in the project
        folder (so under its gunicorn.conf.py); back once every worker has booted."""
        argv = [
            self.command("gunicorn"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            app,
        ]
        child = self.spawn(name, argv, port=port, env=env)
        child.wait_for_log("Booting worker", count=workers)
        child.wait_for_port()
        return child

    def standin(self, module: str, *, port: int | None = None, name: str | None = None) -> Child:
        """A provider's stand-in as a process of its own: ``python -m MODULE --port N``
        (tests.support.twilio_standin, tests.support.smtp_sink); its port is ``.port``."""
        port = port or free_port()
        argv = [sys.executable, "-m", module, "--port", str(port)]
        child = self.spawn(name or module.rsplit(".", 1)[-1], argv, port=port)
        child.wait_for_port()
        return child

    def tracker(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the real ``tracker`` command with the children's environment."""
        return subprocess.run(
            [self.command("tracker"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def supervise(self, interval: float = 0.5) -> None:
        """Restart supervised children that exit by themselves (compose's ``unless-stopped``),
        counting each restart on the child with the exit code of the run that ended."""

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
        """Stop the supervisor, then every child, the last started first."""
        self._closing.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        for child in reversed(self.children):
            child.stop()

    def report(self) -> list[tuple[str, str]]:
        """Report sections: the end of each child's log."""
        return [(f"{child.name} log ({child.log_path})", child.tail()) for child in self.children]
