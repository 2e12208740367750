"""The real processes of the workers' figures: Redis, the providers' stand-ins, Celery, gunicorn.

Every child runs in a session of its own (so a stop reaches a Celery pool's children too) with a
log file under one temporary folder, configured only through its environment, as in production.
The SMTP sink and the baseline's sender also run from here as separate processes, so that no
provider shares a GIL with a worker:

    python -m bench.workers_procs smtp-sink            # prints "port N", then serves
    python -m bench.workers_procs blast --sms N ...    # the baseline: send without the database
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled

BIN = Path(sys.executable).parent  # the venv's console scripts: celery, gunicorn
TWILIO_SID = "AC" + "0" * 31 + "1"  # the stand-in's defaults (tests.support.twilio_standin)
TWILIO_TOKEN = "standin-auth-token"
TWILIO_FROM = "+15005550006"
MAIL_FROM = "notices@kcg.example"
READY_TIMEOUT = 60.0  # a loaded 2-core machine starts Celery slowly

T = TypeVar("T")

# Process groups still running: killed at exit if a stop never ran (an exception, Ctrl-C).
_live_groups: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    for group in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


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


def wait_until(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy; RuntimeError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def rss_kib(pid: int) -> int:
    """Resident memory of one process (VmRSS), KiB; 0 when it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (a Celery pool's or gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Child:
    """One child process with its log file."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """Its process id (and process group id)."""
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> Child:
        """Start it in a new session, its output appended to its log."""
        with self.log_path.open("ab") as log:
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

    def log(self) -> str:
        """Its output so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, *, count: int = 1, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the log holds ``text`` ``count`` times; fail with the log if it exits."""

        def seen() -> bool:
            if self.log().count(text) >= count:
                return True
            if not self.alive:
                raise RuntimeError(f"{self.name} exited before logging {text!r}:\n{self.tail()}")
            return False

        wait_until(seen, timeout=timeout, what=f"{self.name} to log {text!r}")

    def tail(self, lines: int = 60) -> str:
        """The end of its log, for an error message."""
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the group (Celery's warm shutdown), SIGKILL if it takes too long."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
            # A pool child may outlive its parent for a moment; none may outlive the benchmark.
            os.killpg(self.process.pid, signal.SIGKILL)
        _live_groups.discard(self.process.pid)


@dataclass
class Stack:
    """Starts the product's processes for one measure and stops all of them at the end."""

    database_url: str  # SQLAlchemy or libpq form; children get the documented postgresql://
    log_dir: Path
    children: list[Child] = field(default_factory=list)
    redis_port: int = 0
    standin_port: int = 0
    smtp_port: int = 0
    web_port: int = 0

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.web_port = free_port()

    @property
    def redis_url(self) -> str:
        """The private Redis (never the shared 6379: tests stop and kill theirs)."""
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def standin_url(self) -> str:
        """The stand-in's address (TWILIO_API_BASE)."""
        return f"http://127.0.0.1:{self.standin_port}"

    @property
    def smtp_url(self) -> str:
        """The sink's address (SMTP_URL)."""
        return f"smtp://127.0.0.1:{self.smtp_port}"

    def env(self) -> dict[str, str]:
        """The settings of DESIGN §5.4, aimed at this stack's parts."""
        env = {
            key: value
            for key, value in os.environ.items()
            # Whatever the shell configures must not leak into the children.
            if not key.startswith(("DATABASE_", "REDIS_", "TWILIO_", "SMTP_", "MAIL_", "SMS_"))
            and key not in ("PUBLIC_BASE_URL", "TRACKER_INSTANCE", "SECRET_KEY")
        }
        instance = self.log_dir / "instance"
        instance.mkdir(exist_ok=True)
        env.update(
            {
                "DATABASE_URL": self.database_url.replace("postgresql+psycopg://", "postgresql://"),
                "REDIS_URL": self.redis_url,
                "TWILIO_ACCOUNT_SID": TWILIO_SID,
                "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "TWILIO_FROM": TWILIO_FROM,
                "TWILIO_API_BASE": self.standin_url,
                "SMTP_URL": self.smtp_url,
                "MAIL_FROM": MAIL_FROM,
                # Empty disables quiet hours: the hour the benchmark runs at must not matter.
                "SMS_QUIET_HOURS": "",
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.web_port}",
                "TRACKER_INSTANCE": str(instance),
                "SECRET_KEY": "bench-only-secret-key",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def spawn(self, name: str, argv: list[str]) -> Child:
        """Start ``argv`` as the child ``name``."""
        child = Child(name, argv, self.env(), self.log_dir / f"{name}.log")
        self.children.append(child)
        return child.start()

    # -- the parts ---------------------------------------------------------------------------

    def redis(self) -> Child:
        """A private, empty ``redis-server`` on a free port (no RDB, no AOF)."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.redis_port = free_port()
        child = self.spawn(
            "redis",
            [
                binary,
                *("--port", str(self.redis_port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.log_dir)),
            ],
        )
        wait_until(lambda: port_open(self.redis_port), timeout=10, what="redis-server")
        return child

    def standin(self) -> Child:
        """The Twilio Messages API stand-in, as its own process."""
        self.standin_port = free_port()
        child = self.spawn(
            "twilio-standin",
            [
                sys.executable,
                *("-m", "tests.support.twilio_standin", "--port", str(self.standin_port)),
            ],
        )
        wait_until(lambda: port_open(self.standin_port), timeout=20, what="the Twilio stand-in")
        return child

    def smtp_sink(self) -> Child:
        """The tests' aiosmtpd sink (tests.support.smtp_sink), as its own process."""
        child = self.spawn("smtp-sink", [sys.executable, "-m", "bench.workers_procs", "smtp-sink"])
        child.wait_for_log("port ", timeout=20)
        self.smtp_port = int(child.log().split("port ", 1)[1].split()[0])
        return child

    def worker(self, concurrency: int = 2) -> Child:
        """``celery -A workers worker --concurrency N`` (prefork), as docker-compose runs it."""
        child = self.spawn(
            "worker",
            [
                str(BIN / "celery"),
                *("-A", "workers", "worker", "--loglevel", "INFO"),
                *("--concurrency", str(concurrency), "--pool", "prefork"),
                *("--hostname", "bench@%h"),
            ],
        )
        child.wait_for_log(" ready.")
        return child

    def beat(self) -> Child:
        """``celery -A workers beat`` with the real schedule (redbeat, from config/celery.py)."""
        child = self.spawn("beat", [str(BIN / "celery"), "-A", "workers", "beat", "-l", "INFO"])
        child.wait_for_log("beat: Starting...")
        return child

    def web(self, workers: int = 2) -> Child:
        """``gunicorn "web:create_app()" --workers N`` on a loopback port."""
        child = self.spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                *("--bind", f"127.0.0.1:{self.web_port}", "--workers", str(workers)),
                "web:create_app()",
            ],
        )
        child.wait_for_log("Booting worker", count=workers)
        wait_until(lambda: port_open(self.web_port), timeout=READY_TIMEOUT, what="gunicorn")
        return child

    # -- the stand-in's controls -------------------------------------------------------------

    def standin_received(self) -> list[dict[str, Any]]:
        """Everything the stand-in received (``GET /_standin/received``)."""
        with urllib.request.urlopen(f"{self.standin_url}/_standin/received", timeout=60) as r:
            received: list[dict[str, Any]] = json.load(r)
        return received

    def standin_reset(self) -> None:
        """Forget what the stand-in received (between runs: it keeps everything in memory)."""
        request = urllib.request.Request(
            f"{self.standin_url}/_standin/reset", data=b"{}", method="POST"
        )
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        """Stop every child, the last started first (workers before their broker)."""
        for child in reversed(self.children):
            child.stop()
        self.children.clear()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def started(stack: Stack, *parts: str) -> Iterator[Stack]:
    """Start ``parts`` in order (method names of Stack), stop everything on the way out."""
    try:
        for part in parts:
            getattr(stack, part)()
        yield stack
    finally:
        stack.stop()


# --- entry points run as separate processes --------------------------------------------------


def _smtp_sink() -> None:
    """Serve the tests' SMTP sink until SIGTERM; say how many messages it took on the way out."""
    from tests.support.smtp_sink import SmtpSink  # only this child needs aiosmtpd

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with SmtpSink() as sink:
        print(f"port {sink.port}", flush=True)
        stopping.wait()
        print(f"received {len(sink.messages)} messages", flush=True)


def _blast(args: argparse.Namespace) -> None:
    """The baseline: the same SDK and SMTP client the workers use, from threads, no database.

    As many threads as the Dispatcher uses per batch; SMS and email interleaved in the same mix
    as the outbox. Prints one JSON line: start, end (epoch seconds) and counts.
    """
    from notifications.channels import SmtpEmail, TwilioSms  # only this child needs the SDK

    sms = TwilioSms(
        TWILIO_SID,
        TWILIO_TOKEN,
        from_number=TWILIO_FROM,
        status_callback="http://127.0.0.1:9/webhooks/twilio/status",
        api_base=args.twilio_base,
    )
    email = SmtpEmail(args.smtp_url, MAIL_FROM)
    texts = json.loads(Path(args.texts).read_text())
    total = args.sms + args.email
    # Interleaved evenly, as the outbox's mix comes, not all SMS first.
    jobs = [
        "email" if (i + 1) * args.email // total > i * args.email // total else "sms"
        for i in range(total)
    ]

    def send(i_kind: tuple[int, str]) -> bool:
        i, kind = i_kind
        try:
            if kind == "sms":
                sms.send_sms(f"+8869{i:08d}", texts["sms"], reference=str(i))
            else:
                email.send_email(
                    f"applicant{i}@mail.example",
                    texts["subject"],
                    texts["text"],
                    texts["html"],
                    reference=str(i),
                )
        except Exception:  # counted, not fatal: the figure says how many went through
            return False
        return True

    while time.time() < args.start_at:  # both senders start together
        time.sleep(0.001)
    start = time.time()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        results = list(pool.map(send, enumerate(jobs)))
    end = time.time()
    print(json.dumps({"start": start, "end": end, "sent": sum(results), "tried": len(results)}))


def main() -> None:
    """``smtp-sink`` or ``blast``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("smtp-sink", help="serve tests.support.smtp_sink until SIGTERM")
    blast = sub.add_parser("blast", help="send without the database (the baseline)")
    blast.add_argument("--sms", type=int, required=True)
    blast.add_argument("--email", type=int, required=True)
    blast.add_argument("--threads", type=int, default=8)
    blast.add_argument("--twilio-base", required=True)
    blast.add_argument("--smtp-url", required=True)
    blast.add_argument("--texts", required=True, help="JSON file: sms, subject, text, html")
    blast.add_argument("--start-at", type=float, default=0.0, help="epoch second to start at")
    args = parser.parse_args()
    if args.command == "smtp-sink":
        _smtp_sink()
    else:
        _blast(args)


if __name__ == "__main__":
    main()
