"""The citizen status page under gunicorn at 1,000,000 cases, as a share of a bare Flask "hello".

Run: ``.venv/bin/python bench/web_status.py [--runs 3] [--duration 10] [--profile]``. Prints a
markdown section for BENCHMARKS.md on stdout; progress goes to stderr.

Two gunicorn servers with the same settings (``--workers 2``, sync workers as in the Dockerfile
and docker-compose, no access log) on loopback: ``gunicorn "web:create_app()"`` against the
``tracker_bench`` database (1,000,000 cases, seeded by bench/seed.py when missing or stale; see
bench/README.md) with a private ``redis-server`` as REDIS_URL (rate-limit counters, as in
production), and ``gunicorn bench.web_hello:app``, the baseline. wrk (Debian's ``wrk``) loads
each in turn with the same Lua script (bench/web_status.lua), ``--connections`` 16, the two
alternating run after run so that both see the same machine.

What is measured on the status side is the page a citizen sees and reloads: ``GET /status/case``
with the session cookie that a real lookup left. Before the runs, ``--sample`` cases (1,000,
drawn at random from the database with their lookup codes) are each looked up once the way the
QR link does it: ``GET /status`` for the form and its CSRF token, ``POST /status`` with the case
number and code, a 303 to ``/status/case`` whose response sets the session. Each lookup comes
from its own client address (``X-Forwarded-For``, which the app trusts from one proxy), as
citizens do, so the per-client limit is not what is measured. wrk then sends those cookies in
rotation: every request shows another case out of the 1,000,000. A response other than 200
spoils the run (it is reported, and the script exits non-zero).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench import summary
from bench.common import ROOT, bench_url, libpq_url, log, machine, server_version
from bench.core import OPEN_SHARE, TOUCHED_MAX, ensure_seeded
from bench.sqltimer import StatementTimes, timed_statements
from bench.workers import Watchdog, wait_for_quiet
from bench.workers_procs import BIN, Child, children_of, free_port, port_open, wait_until

LUA = Path(__file__).with_name("web_status.lua")
PROFILES = ROOT / "build" / "bench-web-status"  # py-spy's raw stacks of the last --profile
RATIO_TARGET, RATIO_AIM = 0.25, 0.50
P99_TARGET_MS = 50.0
STATUS_FORM, STATUS_RESULT = "/status", "/status/case"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: counts and latency percentiles (microseconds) from web_status.lua."""

    requests: int
    duration_us: int
    not_ok: int
    errors: int
    p50: int
    p90: int
    p99: int
    p999: int
    max: int

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / (self.duration_us / 1e6)


@dataclass(frozen=True)
class InProcess:
    """The status page rendered by the app in this process (Flask's test client, no HTTP)."""

    pages: int
    ms: list[float]  # wall time of each GET /status/case
    statements: StatementTimes


@dataclass
class Figures:
    """Everything the report needs."""

    hello: list[WrkRun] = field(default_factory=list)
    status: list[WrkRun] = field(default_factory=list)
    lookups: int = 0
    lookup_seconds: float = 0.0
    page_bytes: int = 0
    profile: str | None = None
    in_process: InProcess | None = None


# --- the servers -----------------------------------------------------------------------------


def gunicorn(name: str, app: str, env: dict[str, str], log_dir: Path, workers: int) -> Child:
    """``gunicorn APP --workers N`` (sync) on a free loopback port; the port is in ``.argv``."""
    port = free_port()
    child = Child(
        name,
        [
            str(BIN / "gunicorn"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *("--worker-class", "sync", "--log-level", "warning"),
            app,
        ],
        env,
        log_dir / f"{name}.log",
    ).start()
    wait_until(lambda: port_open(port), timeout=60, what=f"{name} on port {port}")
    # Booted and listening is not yet every worker importing the app: ask until both answer.
    time.sleep(2)
    return child


def port_of(child: Child) -> int:
    """The loopback port a ``gunicorn`` child listens on."""
    return int(child.argv[child.argv.index("--bind") + 1].rsplit(":", 1)[1])


def redis_server(log_dir: Path) -> Child:
    """A private, empty ``redis-server`` for the rate-limit counters (no RDB, no AOF)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    child = Child(
        "redis",
        [
            binary,
            *("--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(log_dir)),
        ],
        {},
        log_dir / "redis.log",
    ).start()
    wait_until(lambda: port_open(port), timeout=10, what="redis-server")
    return child


def app_env(
    database_url: str, redis_port: int, web_port_hint: int, instance: Path
) -> dict[str, str]:
    """The settings of DESIGN §5.4 for the status app; nothing from the shell leaks in."""
    instance.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "DATABASE_URL": libpq_url(database_url),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 32,
        "TRACKER_INSTANCE": str(instance),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port_hint}",
        "SMS_QUIET_HOURS": "",
        "PYTHONUNBUFFERED": "1",
    }


def code_version() -> str:
    """The commit measured, and whether the code under test differed from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "web", "tracker", "config", "workers"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return "unknown (no git)"
    dirty = sorted({line[3:].split("/")[0] + "/" for line in changed if line.strip()})
    return f"`{head}`" + (f" with uncommitted changes in {', '.join(dirty)}" if dirty else "")


# --- the citizens' lookups -------------------------------------------------------------------


def sample_cases(url: str, count: int, max_case_id: int, seed: int) -> list[tuple[str, str]]:
    """``count`` random cases with their lookup codes (read back from the database)."""
    ids = random.Random(seed).sample(range(1, max_case_id + 1), count)
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT number, lookup_code FROM cases WHERE id = ANY(%s) ORDER BY id", (ids,)
        ).fetchall()
    return [(str(n), str(c)) for n, c in rows]


def _cookie_header(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def _jar_text(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def look_up(port: int, number: str, code: str, client: str) -> str:
    """One citizen's lookup, as the QR link makes it; returns the Cookie header it leaves."""
    jar: dict[str, str] = {}
    headers = {"X-Forwarded-For": client}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", STATUS_FORM, headers=headers)
        form = conn.getresponse()
        html = form.read().decode()
        if form.status != 200:
            raise RuntimeError(f"GET {STATUS_FORM}: HTTP {form.status}")
        _cookie_header(form, jar)
        token = _CSRF.search(html)
        fields = {"number": number, "code": code}
        if token:
            fields["csrf_token"] = token.group(1) or token.group(2)
        conn.request(
            "POST",
            STATUS_FORM,
            body=urlencode(fields),
            headers={
                **headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": _jar_text(jar),
            },
        )
        answer = conn.getresponse()
        answer.read()
        _cookie_header(answer, jar)
        location = answer.headers.get("Location", "")
        if answer.status != 303 or not location.endswith(STATUS_RESULT):
            raise RuntimeError(f"POST {STATUS_FORM} for {number}: HTTP {answer.status} {location}")
    finally:
        conn.close()
    return _jar_text(jar)


def fetch(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    """GET ``path`` with ``cookie``; the status and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def sessions(port: int, cases: list[tuple[str, str]]) -> tuple[list[str], float]:
    """One real lookup per case; every cookie is checked to show its case. Seconds taken."""
    started = time.perf_counter()
    cookies = []
    for i, (number, code) in enumerate(cases):
        client = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        cookie = look_up(port, number, code, client)
        status, page = fetch(port, STATUS_RESULT, cookie)
        if status != 200 or number not in page:
            raise RuntimeError(f"GET {STATUS_RESULT} after looking up {number}: HTTP {status}")
        cookies.append(cookie)
    return cookies, time.perf_counter() - started


def in_process(env: dict[str, str], cases: list[tuple[str, str]]) -> InProcess:
    """Each case looked up through the test client, then its page timed with its statements.

    The first tenth warms the app up (templates compiled, statement caches filled) uncounted.
    """
    from config import load_settings
    from web import create_app

    app = create_app(load_settings(env))
    # The status page reads through Database.reading(), whose engine is Database.reader.
    engine = app.extensions["database"].reader
    client = app.test_client()
    warm = max(1, len(cases) // 10)
    ms: list[float] = []
    times = StatementTimes()
    for i, (number, code) in enumerate(cases):
        form = client.get(STATUS_FORM).get_data(as_text=True)
        token = _CSRF.search(form)
        data = {"number": number, "code": code}
        if token:
            data["csrf_token"] = token.group(1) or token.group(2)
        answer = client.post(STATUS_FORM, data=data)
        if answer.status_code != 303:
            raise RuntimeError(f"in-process lookup of {number}: HTTP {answer.status_code}")
        with timed_statements(engine) as timed:
            started = time.perf_counter()
            page = client.get(STATUS_RESULT)
            elapsed = time.perf_counter() - started
        if page.status_code != 200:
            raise RuntimeError(f"in-process {STATUS_RESULT} of {number}: HTTP {page.status_code}")
        if i >= warm:
            ms.append(elapsed * 1000)
            for kind, count in timed.count.items():
                times.count[kind] += count
                times.seconds[kind] += timed.seconds[kind]
    app.extensions["database"].dispose()
    return InProcess(len(ms), ms, times)


# --- wrk -------------------------------------------------------------------------------------


def wrk(
    port: int, path: str, cookie_file: Path | None, args: argparse.Namespace, seconds: float
) -> WrkRun:
    """One wrk run of ``seconds`` against ``path``."""
    command = [
        "wrk",
        *("--threads", str(args.threads), "--connections", str(args.connections)),
        *("--duration", f"{seconds:g}s", "--timeout", "10s", "--script", str(LUA)),
        f"http://127.0.0.1:{port}",
        "--",
        path,
        *([str(cookie_file)] if cookie_file else []),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(data[k] for k in ("connect", "read", "write", "timeout"))
    return WrkRun(
        requests=data["requests"],
        duration_us=data["duration_us"],
        not_ok=data["not_ok"],
        errors=errors,
        **{k: data[k] for k in ("p50", "p90", "p99", "p999", "max")},
    )


def profile_run(
    status: Child, port: int, cookie_file: Path, args: argparse.Namespace, log_dir: Path
) -> str:
    """py-spy over both gunicorn workers during one more (uncounted) status run."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return "py-spy is not installed (`.venv/bin/pip install py-spy`): no profile"
    outputs = {mode: log_dir / f"py-spy-{mode}.txt" for mode in ("cpu", "idle")}
    workers = children_of(status.pid)
    spies = [
        subprocess.Popen(
            [
                spy,
                *("record", "--pid", str(status.pid), "--subprocesses", "--nonblocking"),
                *("--rate", "200", "--format", "raw", "--output", str(path)),
                *(["--idle"] if mode == "idle" else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for mode, path in outputs.items()
    ]
    try:
        time.sleep(2)  # py-spy attaches
        run = wrk(port, STATUS_RESULT, cookie_file, args, args.duration)
    finally:
        for process in spies:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for process in spies:
            process.wait(timeout=60)
    if not all(path.exists() for path in outputs.values()):
        return "py-spy wrote no profile"
    # Kept for a closer look (speedscope, flamegraph.pl): the temporary folder goes at the end.
    PROFILES.mkdir(parents=True, exist_ok=True)
    for path in outputs.values():
        shutil.copy(path, PROFILES / path.name)
    return (
        f"Profiled run (not counted; py-spy at 200 Hz over the {len(workers)} workers slows "
        f"them): {run.rate:,.0f} requests/s, p99 {run.p99 / 1000:.1f} ms.\n\n"
        "**On CPU** (py-spy without `--idle`: the samples where a worker ran):\n\n"
        f"{summarise(outputs['cpu'])}\n"
        "**Wall time** (`--idle`: waiting on PostgreSQL and the sockets included):\n\n"
        f"{summarise(outputs['idle'], top=0)}"
    )


APP_FRAME = "Flask.wsgi_app ("
_LINE = re.compile(r":\d+\)$")
# Where a sample's innermost frame is, by file: what kind of work the request was doing.
CATEGORIES = (
    ("psycopg/", "psycopg: the driver, sending and waiting on PostgreSQL"),
    ("sqlalchemy/", "SQLAlchemy: ORM loading, statement caching, results"),
    ("jinja2/", "Jinja2 and MarkupSafe: rendering the templates"),
    ("markupsafe/", "Jinja2 and MarkupSafe: rendering the templates"),
    (".html", "Jinja2 and MarkupSafe: rendering the templates"),
    ("babel/", "Babel and Flask-Babel: the locale, translations, dates"),
    ("flask_babel/", "Babel and Flask-Babel: the locale, translations, dates"),
    ("web/core/i18n.py", "Babel and Flask-Babel: the locale, translations, dates"),
    ("web/core/formatting.py", "Babel and Flask-Babel: the locale, translations, dates"),
    ("itsdangerous/", "the session cookie: signing, JSON"),
    ("hmac.py", "the session cookie: signing, JSON"),
    ("json/", "the session cookie: signing, JSON"),
    ("flask_limiter/", "Flask-Limiter and Redis"),
    ("limits/", "Flask-Limiter and Redis"),
    ("redis/", "Flask-Limiter and Redis"),
    ("flask_wtf/", "Flask-WTF (CSRF)"),
    ("wtforms/", "Flask-WTF (CSRF)"),
)


def _function(frame: str) -> str:
    """``show (web/public/status.py)``: the function and its file, without the line."""
    return _LINE.sub(")", frame)


def summarise(raw: Path, top: int = 25) -> str:
    """py-spy's collapsed stacks: the share inside the app, by kind of work, by function."""
    total = inside = 0
    kinds: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        # With --subprocesses each stack starts with its process chain: the arbiter's own
        # stacks (one process frame) are not a worker's.
        if sum(f.startswith("process ") for f in frames) < 2:
            continue
        count = int(count_text)
        total += count
        start = next((i for i, f in enumerate(frames) if f.startswith(APP_FRAME)), None)
        if start is None:
            continue
        inside += count
        below = [_function(f) for f in frames[start + 1 :]]
        leaf = below[-1] if below else frames[start]
        kind = next((k for marker, k in CATEGORIES if marker in leaf), "Flask, werkzeug, the app")
        kinds[kind] = kinds.get(kind, 0) + count
        for function in set(below):
            inclusive[function] = inclusive.get(function, 0) + count
    if not inside:
        return "py-spy recorded no samples inside the app\n"
    lines = [
        f"{total:,} samples of the workers, {inside / total:.0%} of them inside Flask's "
        "`wsgi_app` (the rest: gunicorn waiting for a connection, reading and writing it). "
        "Inside it, by the "
        "innermost frame:",
        "",
        "| kind of work | share |",
        "|---|---:|",
        *(
            f"| {kind} | {count / inside:.0%} |"
            for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1])
        ),
        "",
    ]
    if top:
        lines += ["| function, inclusive | share |", "|---|---:|"]
        ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
        lines += [f"| `{function}` | {count / inside:.0%} |" for function, count in ranked]
        lines.append("")
    return "\n".join(lines)


# --- the whole ----------------------------------------------------------------------------------


def measure(args: argparse.Namespace, url: str, max_case_id: int, log_dir: Path) -> Figures:
    """Start both servers, look the sample up, run wrk alternately, profile if asked."""
    figures = Figures()
    children: list[Child] = []
    try:
        redis = redis_server(log_dir)
        children.append(redis)
        redis_port = int(redis.argv[redis.argv.index("--port") + 1])
        env = app_env(url, redis_port, 0, log_dir / "instance")
        status = gunicorn("status", "web:create_app()", env, log_dir, args.workers)
        children.append(status)
        hello = gunicorn(
            "hello", "bench.web_hello:app", {"PATH": env["PATH"]}, log_dir, args.workers
        )
        children.append(hello)
        status_port, hello_port = port_of(status), port_of(hello)

        cases = sample_cases(url, args.sample, max_case_id, args.seed)
        log(f"looking up {len(cases):,} cases once each (POST {STATUS_FORM} -> {STATUS_RESULT})")
        cookies, figures.lookup_seconds = sessions(status_port, cases)
        figures.lookups = len(cookies)
        cookie_file = log_dir / "cookies.txt"
        cookie_file.write_text("\n".join(cookies) + "\n")
        figures.page_bytes = len(fetch(status_port, STATUS_RESULT, cookies[0])[1].encode())
        log("the same pages in this process (test client), with their SQL statements")
        figures.in_process = in_process(env, cases[: min(len(cases), 300)])

        log(f"warming up both servers ({args.warmup:g} s each)")
        wrk(hello_port, "/", None, args, args.warmup)
        wrk(status_port, STATUS_RESULT, cookie_file, args, args.warmup)
        for run in range(1, args.runs + 1):
            figures.hello.append(wrk(hello_port, "/", None, args, args.duration))
            figures.status.append(wrk(status_port, STATUS_RESULT, cookie_file, args, args.duration))
            h, s = figures.hello[-1], figures.status[-1]
            log(
                f"run {run}: hello {h.rate:,.0f}/s p99 {h.p99 / 1000:.1f} ms; "
                f"status {s.rate:,.0f}/s p99 {s.p99 / 1000:.1f} ms ({s.rate / h.rate:.1%})"
            )
        if args.profile:
            log("profiled run (not counted)")
            figures.profile = profile_run(status, status_port, cookie_file, args, log_dir)
    finally:
        for child in reversed(children):
            child.stop()
    return figures


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs of each app")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per app")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both apps)")
    parser.add_argument("--sample", type=int, default=1_000, help="cases looked up and rotated")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the sample")
    parser.add_argument("--profile", action="store_true", help="py-spy over one more run")
    parser.add_argument("--reseed", action="store_true", help="seed the database again")
    parser.add_argument("--wait-quiet", type=float, default=600.0, help="s to wait for quiet")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time())  # new cases each run: the rate limits count per case
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    started = time.perf_counter()
    command = " ".join([".venv/bin/python bench/web_status.py", *sys.argv[1:]])

    url = bench_url()
    open_ = round(args.cases * OPEN_SHARE)
    record, seeded_now = ensure_seeded(
        url, cases=args.cases, open_=open_, touched=min(TOUCHED_MAX, open_ // 10), force=args.reseed
    )
    quiet = wait_for_quiet(args.wait_quiet)
    log(quiet)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp, Watchdog(every=10) as watchdog:
        log(f"process logs in {tmp}")
        figures = measure(args, url, record.max_case_id, Path(tmp))
    quiet = f"{quiet}; {watchdog.summary()}"
    report(args, command, url, record, seeded_now, figures, started, quiet)
    if any(r.not_ok or r.errors for r in figures.status + figures.hello):
        raise SystemExit("some responses were not 200 or failed: the figures are spoiled")


def _spread(values: list[float], fmt: str = ",.0f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def report(
    args: argparse.Namespace,
    command: str,
    url: str,
    record: object,
    seeded_now: bool,
    f: Figures,
    started: float,
    quiet: str,
) -> None:
    """The markdown section for BENCHMARKS.md."""
    seeded_at = getattr(record, "seeded_at", "?")
    print(f"## Citizen status page at {args.cases:,} cases, {date.today().isoformat()}")
    print()
    print(f"- machine: {machine()}; {quiet}")
    print(f"- code: {code_version()}")
    print(f"- database: {server_version(url)}, default configuration")
    print(f"- command: `{command}` (total {time.perf_counter() - started:,.0f} s)")
    print(
        f"- data: `tracker_bench`, seeded by bench/seed.py "
        f"{'in this run' if seeded_now else 'on ' + seeded_at[:10]}; {f.lookups:,} cases "
        f"sampled at random and looked up once each ({f.lookup_seconds:,.1f} s for the "
        "GET form, POST, 303 and a checked GET of each)"
    )
    print(
        f"- servers: gunicorn, {args.workers} sync workers each, on loopback, both started in "
        "the project folder and so under its gunicorn.conf.py (a worker freezes its loaded app "
        "out of the garbage collector's full passes); the status app with REDIS_URL (a private "
        "redis-server); load: "
        f"`wrk --threads {args.threads} --connections {args.connections} "
        f"--duration {args.duration:g}s`, {args.runs} runs of each app, alternating, after "
        f"{args.warmup:g} s of warm-up each"
    )
    print()
    print(
        f"Status: `GET {STATUS_RESULT}` with the session cookie of one of the {f.lookups:,} "
        f"lookups, in rotation (the page a citizen reads after the QR link's lookup, "
        f"{f.page_bytes:,} bytes). Baseline: `GET /` of `bench/web_hello.py`. Median of the "
        "runs (min–max)."
    )
    print()
    print("| app | requests/s | p50 ms | p99 ms | p99.9 ms |")
    print("|---|---:|---:|---:|---:|")
    for label, runs in (("status page", f.status), ("hello (baseline)", f.hello)):
        cells = [
            _spread([r.rate for r in runs]),
            *(_spread([getattr(r, p) / 1000 for r in runs], ".1f") for p in ("p50", "p99", "p999")),
        ]
        print(f"| {label} | {' | '.join(cells)} |")
    ratios = [s.rate / h.rate for s, h in zip(f.status, f.hello, strict=True)]
    ratio = statistics.median(ratios)
    p99 = statistics.median(r.p99 / 1000 for r in f.status)
    print()
    print(
        f"Throughput ratio status / hello, per run: "
        f"{', '.join(f'{r:.1%}' for r in ratios)}; median **{ratio:.1%}** "
        f"({'meets' if ratio >= RATIO_TARGET else 'MISSES'} the target of {RATIO_TARGET:.0%}, "
        f"{'reaches' if ratio >= RATIO_AIM else 'below'} the aim of {RATIO_AIM:.0%}). "
        f"Status p99 **{p99:.1f} ms** "
        f"({'meets' if p99 <= P99_TARGET_MS else 'MISSES'} the target of {P99_TARGET_MS:.0f} ms)."
    )
    summary.record(
        "#4",
        f"status page throughput under gunicorn ({args.workers} workers), {args.cases:,} cases",
        [r * 100 for r in ratios],
        "%",
        target=f"≥ {RATIO_TARGET:.0%} (aim {RATIO_AIM:.0%})",
        meets=ratio >= RATIO_TARGET,
        ratio=ratio,
        baseline="bare Flask hello, same gunicorn",
    )
    summary.record(
        "#4",
        f"status page p99 at {args.connections} connections",
        [r.p99 / 1000 for r in f.status],
        "ms",
        target=f"≤ {P99_TARGET_MS:.0f} ms",
        meets=p99 <= P99_TARGET_MS,
    )
    bad = sum(r.not_ok + r.errors for r in f.status + f.hello)
    print()
    print(f"Responses other than 200, and socket errors, in all runs: {bad}.")
    if f.in_process or f.profile:
        print()
        print("### Where the status page's time goes")
    if f.in_process:
        ip = f.in_process
        st = ip.statements
        print()
        print(
            f"In this process, without HTTP or gunicorn (Flask's test client, {ip.pages} pages "
            f"of other cases after a warm-up): {statistics.median(ip.ms):.2f} ms per page "
            f"(p90 {sorted(ip.ms)[int(0.9 * (len(ip.ms) - 1))]:.2f} ms), of which "
            f"{st.total_seconds / ip.pages * 1000:.2f} ms waiting on "
            f"{st.total_count / ip.pages:.1f} SQL statements:"
        )
        print()
        print("| statement | per page | ms per page |")
        print("|---|---:|---:|")
        for kind in sorted(st.seconds, key=st.seconds.__getitem__, reverse=True):
            print(
                f"| `{kind}` | {st.count[kind] / ip.pages:.1f} | "
                f"{st.seconds[kind] / ip.pages * 1000:.2f} |"
            )
    if f.profile:
        print()
        print(f.profile)


if __name__ == "__main__":
    main()
