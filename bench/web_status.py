"""The citizen status page under gunicorn at 1,000,000 cases, as a share of a bare Flask "hello".

Run: ``.venv/bin/python bench/web_status.py [--runs 3] [--duration 10] [--profile]``. Prints a
markdown section for BENCHMARKS.md on stdout; progress goes to stderr.

Two gunicorns with the same settings (``--workers 2``, sync, as in the Dockerfile) on loopback,
started by the tests' harness: ``web:create_app()`` on ``tracker_bench`` with a private Redis as
REDIS_URL (rate-limit counters, as in production), and ``bench.web_hello:app``, the baseline.
wrk loads each in turn with the same Lua script (bench/web_status.lua), alternating run after
run so that both see the same machine.

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
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import pyspy, summary
from bench.common import (
    ROOT,
    Watchdog,
    bench_url,
    code_version,
    libpq_url,
    log,
    machine,
    server_version,
    wait_for_quiet,
)
from bench.seed import OPEN_SHARE, ensure_seeded
from bench.sqltimer import StatementTimes, timed_statements
from tests.support.processes import Child, Processes, child_env, children_of, free_port
from tests.support.servers import RedisServer

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


# --- the citizens' lookups -------------------------------------------------------------------


def sample_cases(url: str, count: int, max_case_id: int, seed: int) -> list[tuple[str, str]]:
    """``count`` random cases with their lookup codes (read back from the database)."""
    ids = random.Random(seed).sample(range(1, max_case_id + 1), count)
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT number, lookup_code FROM cases WHERE id = ANY(%s) ORDER BY id", (ids,)
        ).fetchall()
    return [(str(n), str(c)) for n, c in rows]


def look_up(port: int, number: str, code: str, client: str) -> tuple[str, str]:
    """One citizen's lookup as the QR link makes it (the form, its CSRF token, the POST, the 303
    followed); the Cookie header it leaves and the page it shows."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("X-Forwarded-For", client)]
    base = f"http://127.0.0.1:{port}"
    with opener.open(base + STATUS_FORM, timeout=30) as form:
        token = _CSRF.search(form.read().decode())
    fields = {"number": number, "code": code}
    if token:
        fields["csrf_token"] = token.group(1) or token.group(2)
    with opener.open(base + STATUS_FORM, urlencode(fields).encode(), timeout=30) as page:
        if not page.url.endswith(STATUS_RESULT):
            raise RuntimeError(f"POST {STATUS_FORM} for {number} led to {page.url}")
        html = page.read().decode()
    if number not in html:
        raise RuntimeError(f"{STATUS_RESULT} after looking up {number} does not show it")
    return "; ".join(f"{c.name}={c.value}" for c in jar), html


def sessions(port: int, cases: list[tuple[str, str]]) -> tuple[list[str], int, float]:
    """One real lookup per case, each from its own client address: the cookies, the size of
    a page, and the seconds taken."""
    started = time.perf_counter()
    cookies, size = [], 0
    for i, (number, code) in enumerate(cases):
        cookie, page = look_up(port, number, code, f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        cookies.append(cookie)
        size = len(page.encode())
    return cookies, size, time.perf_counter() - started


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


def profile_run(status: Child, cookie_file: Path, args: argparse.Namespace, log_dir: Path) -> str:
    """py-spy over both gunicorn workers during one more (uncounted) status run."""
    assert status.port is not None
    with pyspy.recording(status.pid, log_dir, ("cpu", "idle"), rate=200) as outputs:
        run = wrk(status.port, STATUS_RESULT, cookie_file, args, args.duration)
    # Kept for a closer look (speedscope, flamegraph.pl): the temporary folder goes at the end.
    PROFILES.mkdir(parents=True, exist_ok=True)
    for path in outputs.values():
        shutil.copy(path, PROFILES / path.name)

    def shares(mode: str, top: int) -> str:
        return pyspy.summarise(
            outputs[mode],
            within="Flask.wsgi_app",
            categories=CATEGORIES,
            other="Flask, werkzeug, the app",
            top=top,
            min_processes=2,  # a worker's stacks, not the arbiter's
        )

    return (
        f"Profiled run (not counted; py-spy at 200 Hz over the {len(children_of(status.pid))} "
        f"workers slows them): {run.rate:,.0f} requests/s, p99 {run.p99 / 1000:.1f} ms. The "
        "samples outside `Flask.wsgi_app` are gunicorn waiting for a connection, reading and "
        "writing it.\n\n**On CPU** (py-spy without `--idle`: the samples where a worker ran):"
        f"\n\n{shares('cpu', 25)}\n**Wall time** (`--idle`: waiting on PostgreSQL and the "
        f"sockets included):\n\n{shares('idle', 0)}"
    )


# Where a sample's innermost frame is, by file: what kind of work the request was doing.
KINDS = {
    "psycopg: the driver, sending and waiting on PostgreSQL": ("psycopg/",),
    "SQLAlchemy: ORM loading, statement caching, results": ("sqlalchemy/",),
    "Jinja2 and MarkupSafe: rendering the templates": ("jinja2/", "markupsafe/", ".html"),
    "Babel and Flask-Babel: the locale, translations, dates": (
        "babel/", "flask_babel/", "web/core/i18n.py", "web/core/formatting.py",
    ),
    "the session cookie: signing, JSON": ("itsdangerous/", "hmac.py", "json/"),
    "Flask-Limiter and Redis": ("flask_limiter/", "limits/", "redis/"),
    "Flask-WTF (CSRF)": ("flask_wtf/", "wtforms/"),
}  # fmt: skip
CATEGORIES = tuple((marker, kind) for kind, markers in KINDS.items() for marker in markers)


# --- the whole ----------------------------------------------------------------------------------


def measure(args: argparse.Namespace, url: str, max_case_id: int, log_dir: Path) -> Figures:
    """Start both servers, look the sample up, run wrk alternately, profile if asked."""
    figures = Figures()
    redis = RedisServer(log_dir / "redis").start()
    env = child_env(
        database_url=url,
        redis_url=redis.url,
        twilio_api_base="http://127.0.0.1:9",  # the status page sends nothing
        smtp_url="smtp://127.0.0.1:9",
        web_port=9,
        instance=log_dir / "instance",
    )
    # The load comes from many clients, each its own X-Forwarded-For behind one proxy.
    env["TRUSTED_PROXIES"] = "1"
    processes = Processes(env, log_dir)
    try:
        # The same gunicorn, settings and folder (so gunicorn.conf.py) for both apps.
        status = processes.web(free_port(), name="status", workers=args.workers)
        hello = processes.web(
            free_port(), name="hello", app="bench.web_hello:app", workers=args.workers
        )
        status_port, hello_port = status.port or 0, hello.port or 0
        cases = sample_cases(url, args.sample, max_case_id, args.seed)
        log(f"looking up {len(cases):,} cases once each (POST {STATUS_FORM} -> {STATUS_RESULT})")
        cookies, figures.page_bytes, figures.lookup_seconds = sessions(status_port, cases)
        figures.lookups = len(cookies)
        cookie_file = log_dir / "cookies.txt"
        cookie_file.write_text("\n".join(cookies) + "\n")
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
            figures.profile = profile_run(status, cookie_file, args, log_dir)
    finally:
        processes.close()
        redis.stop()
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
    started = time.perf_counter()
    command = " ".join([".venv/bin/python bench/web_status.py", *sys.argv[1:]])

    url = bench_url()
    open_ = round(args.cases * OPEN_SHARE)
    record, seeded_now = ensure_seeded(url, cases=args.cases, open_=open_, force=args.reseed)
    quiet = wait_for_quiet(args.wait_quiet)
    log(quiet)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp, Watchdog(every=10) as watchdog:
        log(f"process logs in {tmp}")
        figures = measure(args, url, record.max_case_id, Path(tmp))
    quiet = f"{quiet}; {watchdog.summary()}"
    report(args, command, url, record, seeded_now, figures, started, quiet)
    if any(r.not_ok or r.errors for r in figures.status + figures.hello):
        raise SystemExit("some responses were not 200 or failed: the figures are spoiled")


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
    print(f"- database: {server_version(url)}")
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
            summary.spread([r.rate for r in runs], ",.0f"),
            *(
                summary.spread([getattr(r, p) / 1000 for r in runs], ".1f")
                for p in ("p50", "p99", "p999")
            ),
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
