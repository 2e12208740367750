"""What the benchmark scripts share: the bench databases and their seed record, the machine and
whether it was quiet, and a statement's plan exactly as the application sends it.

The seed parameters travel with the database (a JSON comment on it), so a script can tell
whether a database was seeded the way its figure needs without a file on the side going stale.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from the checkout

from config.settings import normalise_database_url  # noqa: E402 - needs the path above
from tracker.db import Database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench"
# Processes that load the machine: other people's tests, workers and benchmarks.
BUSY_PATTERNS = ("pytest", "celery", "bench/", "gunicorn", "seed.py")


def bench_url(suffix: str = "") -> str:
    """The main bench database (``BENCH_DATABASE_URL``), or a sibling named with ``suffix``
    (each figure that changes rows has a database of its own, so no two runs meet)."""
    url = make_url(normalise_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)))
    return url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)


def libpq_url(url: str, database: str | None = None) -> str:
    """The same server as a plain libpq URL for psycopg, optionally another database on it."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def database_name(url: str) -> str:
    """The database part of ``url``."""
    return make_url(url).database or ""


@dataclass(frozen=True)
class SeedRecord:
    """How a bench database was seeded; stored as the database's comment."""

    cases: int
    open: int
    touched: int
    closure_day: str  # ISO date: the day whose closure re-times the ``touched`` cases
    seeded_at: str  # ISO instant used as "now" while seeding
    seconds: float  # wall time of the whole seed
    catalogue: str
    max_case_id: int
    rows_per_second: float
    schema: str  # the Alembic revision seeded: a newer schema needs a new seed


def write_record(url: str, record: SeedRecord) -> None:
    """Store ``record`` as the comment on the database at ``url``."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(database_name(url)), sql.Literal(json.dumps(asdict(record)))
            )
        )


def read_record(url: str) -> SeedRecord | None:
    """The seed record of the database at ``url``; None if it is missing or never seeded."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE datname = current_database()"
            ).fetchone()
        return SeedRecord(**json.loads(row[0])) if row and row[0] else None
    except (psycopg.OperationalError, TypeError, ValueError):
        return None  # no such database, or a comment in another format: seed again


def server_version(url: str) -> str:
    """``PostgreSQL 15.20`` and the settings that shape the figures."""
    with psycopg.connect(libpq_url(url)) as conn:
        shown = {
            name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            for name in ("server_version", "shared_buffers", "synchronous_commit", "work_mem")
        }
    version = shown.pop("server_version")
    settings = ", ".join(f"{k}={v[0]}" for k, v in shown.items() if v)
    return f"PostgreSQL {version[0] if version else '?'} ({settings}), default configuration"


def machine() -> str:
    """Platform, cores and RAM: the figures mean little without them."""
    ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    return (
        f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} cores, {ram:.0f} GiB "
        f"RAM, Python {platform.python_version()}"
    )


def code_version() -> str:
    """The commit measured, and the product folders changed since it (read-only git)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "tracker", "notifications", "workers", "web"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    dirty = sorted({line[3:].split("/")[0] + "/" for line in changed if line.strip()})
    return f"`{head or '?'}`" + (
        f" with uncommitted changes in {', '.join(dirty)}" if dirty else ""
    )


@contextmanager
def database(url: str) -> Iterator[Database]:
    """The product's Database on ``url``, disposed of afterwards."""
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


def log(message: str) -> None:
    """Progress goes to stderr so that stdout stays the markdown section."""
    print(message, file=sys.stderr, flush=True)


def busy_processes() -> list[str]:
    """Heavy processes of other sessions (this run's runner and scripts share its session)."""
    out = subprocess.run(["ps", "-eo", "sess=,args="], capture_output=True, text=True).stdout
    mine = os.getsid(0)
    rows = (line.strip().partition(" ") for line in out.splitlines())
    return [
        args[:100]
        for sess, _, args in rows
        if sess.isdigit() and int(sess) != mine and any(p in args for p in BUSY_PATTERNS)
    ]


def wait_for_quiet(limit: float) -> str:
    """Wait until no other heavy process runs (at most ``limit`` s); say how it went.

    The machine has two cores and others run tests on it: a figure measured beside them says
    more about them than about the code.
    """
    started = time.monotonic()
    while (busy := busy_processes()) and time.monotonic() - started < limit:
        log(f"waiting for {len(busy)} other processes to end, e.g. {busy[0]}")
        time.sleep(15)
    waited = time.monotonic() - started
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    if busy:
        return f"NOT quiet after {waited:,.0f} s: {len(busy)} others ran (`{busy[0]}`), load {load}"
    return f"quiet: no other pytest/celery/bench process (waited {waited:,.0f} s), load {load}"


def header(
    title: str,
    started: float,
    *,
    url: str | None = None,
    quiet: str | None = None,
    data: Sequence[str] = (),
) -> None:
    """The opening of a section: title and date, machine, code, database, command, data."""
    command = " ".join(
        [".venv/bin/python", sys.argv[0].removeprefix(str(ROOT) + "/"), *sys.argv[1:]]
    )
    print(f"## {title}, {date.today().isoformat()}")
    print()
    print(f"- machine: {machine()}" + (f"; {quiet}" if quiet else ""))
    print(f"- code: {code_version()}")
    if url:
        print(f"- database: {server_version(url)}")
    print(f"- command: `{command}` (total {time.perf_counter() - started:,.0f} s)")
    for line in data:
        print(f"- data: {line}")


def seeded_line(name: str, record: SeedRecord, now: bool) -> str:
    """``tracker_bench``: its cases, and when and how fast bench/seed.py seeded it."""
    when = "in this run" if now else f"on {record.seeded_at[:10]}"
    return (
        f"`{name}`: {record.cases:,} cases, {record.open:,} open; seeded by bench/seed.py {when} "
        f"in {record.seconds:,.0f} s (tracker.cases.bulk_filing: {record.rows_per_second:,.0f} "
        f"cases/s), its clock T = {record.seeded_at}"
    )


def timed_ms(runs: int, call: Callable[[], object], *, warmup: int = 1) -> list[float]:
    """Milliseconds of ``runs`` calls of ``call``, after ``warmup`` uncounted ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


class _Captured(Exception):
    """Stops the application once the statement of interest has been seen."""


def explain_as_sent(
    engine: Engine,
    run: Callable[[], object],
    sent: Callable[[str], bool],
    *,
    params: Callable[[dict[str, Any]], dict[str, Any]] = dict,
) -> tuple[str, list[str]]:
    """The first statement ``run`` sends for which ``sent(sql)`` holds, caught on its way to the
    driver (and ``run`` stopped there, nothing written), and its ``EXPLAIN (ANALYZE, BUFFERS)``
    with the same (or ``params``-changed) parameters, rolled back.

    Explaining hand-written SQL could show a plan the application never gets: a partial index
    qualifies only if the planner can prove its predicate from the parameters as bound.
    """
    seen: list[tuple[str, dict[str, Any]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, bound: Any, *_rest: Any) -> None:
        if sent(statement) and not seen:
            seen.append((statement, dict(bound)))
            raise _Captured

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    except _Captured:
        pass
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    if not seen:
        raise RuntimeError("the application sent no such statement")
    statement, bound = seen[0]
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params(bound))
            plan = [str(row[0]) for row in cursor.fetchall()]
        conn.rollback()
    return statement, plan


def vacuum(url: str) -> None:
    """Clear the dead rows a run left and its WAL, so the next run meets the tables as seeded.

    VACUUM leaves a deleted outbox's index pages behind (REINDEX puts them back), and a run
    writes hundreds of MiB of WAL: without the CHECKPOINT, one requested by the previous run
    would land inside the next timed run, or not, at random.
    """
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cases, case_events, closures, notices")
        conn.execute("REINDEX TABLE notices")
        conn.execute("CHECKPOINT")


def has_table(conn: Connection, table: str) -> bool:
    """Whether ``table`` exists (a snapshot an interrupted run left behind)."""
    return bool(conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}))


def snapshot(conn: Connection, table: str, ids: Sequence[int]) -> None:
    """Keep the ``cases`` rows ``ids`` as they are in the unlogged ``table`` (replacing it)."""
    conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    conn.execute(
        text(f"CREATE UNLOGGED TABLE {table} AS SELECT * FROM cases WHERE id = ANY(:ids)"),
        {"ids": list(ids)},
    )
    conn.execute(text(f"ALTER TABLE {table} ADD PRIMARY KEY (id)"))


def columns_of(conn: Connection, table: str) -> list[str]:
    """The columns of ``table`` but ``id``, in order."""
    rows = conn.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t"
            " AND column_name <> 'id' ORDER BY ordinal_position"
        ),
        {"t": table},
    )
    return [name for (name,) in rows]


def copy_back(conn: Connection, table: str, *, changed_only: bool = False) -> int:
    """Every column of the rows kept in ``table`` back into ``cases``; the rows written.

    Whatever columns the product writes now or later are put back. Each change bumps a case's
    version (the mapper's version counter), so ``changed_only`` puts back just the changed.
    """
    columns = columns_of(conn, table)
    targets, sources = ", ".join(columns), ", ".join(f"s.{name}" for name in columns)
    condition = " AND c.version <> s.version" if changed_only else ""
    result = conn.execute(
        text(
            f"UPDATE cases c SET ({targets}) = ROW({sources}) FROM {table} s"
            f" WHERE c.id = s.id{condition}"
        )
    )
    return int(result.rowcount)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    """The CSRF token of the form in ``html`` ("" when it has none)."""
    match = _CSRF.search(html)
    return (match.group(1) or match.group(2)) if match else ""


def bench_app(url: str, name: str) -> Any:
    """The product's app on ``url`` in this process, for Flask's test client."""
    from config import load_settings
    from web import create_app

    env = {
        "DATABASE_URL": libpq_url(url),
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 32,
        "TRACKER_INSTANCE": str(ROOT / "build" / f"bench-{name}"),
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    }
    return create_app(load_settings(env))


def signed_in(app: Any, username: str, password: str) -> Any:
    """A test client signed in to the console as ``username``."""
    client = app.test_client()
    token = csrf_token(client.get("/counter/login").get_data(as_text=True))
    fields = {"username": username, "password": password, "csrf_token": token}
    answer = client.post("/counter/login", data=fields)
    assert answer.status_code == 303, f"signing in as {username}: HTTP {answer.status_code}"
    return client
