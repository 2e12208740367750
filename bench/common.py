"""What the benchmark scripts share: where the bench databases are, their seed record, the machine.

The seed parameters travel with the database (as a JSON comment on it), so ``core.py`` can tell
whether a database was seeded the way a figure needs without a file on the side going stale.
"""

from __future__ import annotations

import cProfile
import json
import os
import platform
import pstats
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled

from config.settings import normalise_database_url  # noqa: E402 - needs the path above

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench"
# The closure figure needs every case open: a second database, so the two kinds of seed can sit
# side by side and neither has to be rebuilt for the other figure.
CLOSURE_SUFFIX = "_closure"
# The workers' figures (bench/workers.py) change cases and the outbox while they run: databases of
# their own, so a core run and a workers run never meet on the same rows.
WATCH_SUFFIX = "_watch"


def bench_url() -> str:
    """The main bench database (``BENCH_DATABASE_URL``), in SQLAlchemy form."""
    return normalise_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))


def closure_url() -> str:
    """The all-open database for the closure figure (``BENCH_CLOSURE_DATABASE_URL``)."""
    if "BENCH_CLOSURE_DATABASE_URL" in os.environ:
        return normalise_database_url(os.environ["BENCH_CLOSURE_DATABASE_URL"])
    url = make_url(bench_url())
    return url.set(database=f"{url.database}{CLOSURE_SUFFIX}").render_as_string(hide_password=False)


def watch_url(suffix: str = "") -> str:
    """An all-open database for the workers' figures (``BENCH_WATCH_DATABASE_URL``).

    ``suffix`` names a sibling on the same server (the smaller database of the scaling figure).
    """
    base = os.environ.get("BENCH_WATCH_DATABASE_URL")
    if base is None:
        url = make_url(bench_url())
        base = url.set(database=f"{url.database}{WATCH_SUFFIX}").render_as_string(
            hide_password=False
        )
    url = make_url(normalise_database_url(base))
    return url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)


def libpq_url(url: str, database: str | None = None) -> str:
    """The same server as a plain libpq URL for psycopg, optionally another database on it."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def database_name(url: str) -> str:
    """The database part of ``url``."""
    name = make_url(url).database
    if not name:
        raise ValueError(f"{url} names no database")
    return name


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
    """The seed record of the database at ``url``; None if it is missing or was never seeded."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE datname = current_database()"
            ).fetchone()
    except psycopg.OperationalError:
        return None
    if row is None or not row[0]:
        return None
    try:
        return SeedRecord(**json.loads(row[0]))
    except (TypeError, ValueError):
        return None  # a comment somebody else wrote, or an older format: reseed


def server_version(url: str) -> str:
    """``PostgreSQL 15.20`` and the settings that shape the figures."""
    with psycopg.connect(libpq_url(url)) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        settings = {
            name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            for name in ("shared_buffers", "synchronous_commit", "work_mem")
        }
    shown = ", ".join(f"{k}={v[0]}" for k, v in settings.items() if v)
    return f"PostgreSQL {version[0] if version else '?'} ({shown})"


def machine() -> str:
    """Platform, cores and RAM: the figures mean little without them."""
    ram = ""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        ram = f", {pages * page_size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.platform()}, {cpu}, {os.cpu_count()} cores{ram}, "
        f"Python {platform.python_version()}"
    )


def log(message: str) -> None:
    """Progress goes to stderr so that stdout stays the markdown to paste."""
    print(message, file=sys.stderr, flush=True)


class Progress:
    """Prints ``what: done / total (rate rows/s)`` to stderr, at most every ``every`` seconds."""

    def __init__(self, what: str, total: int, every: float = 2.0) -> None:
        self.what, self.total, self.every = what, total, every
        self.started = self.last = time.perf_counter()

    def update(self, done: int) -> None:
        """Report ``done`` rows if enough time has passed since the last report."""
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            self._print(done, now)

    def finish(self, done: int) -> float:
        """Report the final count; returns the rows per second."""
        return self._print(done, time.perf_counter())

    def _print(self, done: int, now: float) -> float:
        rate = done / max(now - self.started, 1e-9)
        log(f"  {self.what}: {done:,} / {self.total:,} rows ({rate:,.0f} rows/s)")
        return rate


def profile_report(profiler: cProfile.Profile, out: TextIO) -> None:
    """The top of a profile twice: by cumulative time (which call), by own time (which line)."""
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)


def as_dict(record: SeedRecord) -> dict[str, Any]:
    """The record as plain data (for printing)."""
    return asdict(record)
