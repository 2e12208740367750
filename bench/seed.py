"""Build the bench database: N cases in PostgreSQL, bulk-loaded with COPY (not the ORM).

Run: ``.venv/bin/python bench/seed.py [--cases N] [--open N] [--touched N] [--url URL]``.

The database (``BENCH_DATABASE_URL``, default ``tracker_bench`` on 127.0.0.1) is dropped and
created, migrated with the application's own migrations and given the demo catalogue; then the
cases, their ``filed`` events and their pauses are streamed in with COPY, the per-day counters
are set, and VACUUM ANALYZE leaves the planner statistics and visibility map as a settled
production table would have them. How it was seeded is stored as the database's comment.

Due dates come from the real engine (``compute_deadline`` on the calendar the app loads), so a
re-timing afterwards agrees with the seeded dates wherever the calendar did not change.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from operator import attrgetter
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench.common import (
    ROOT,
    Progress,
    SeedRecord,
    bench_url,
    database_name,
    libpq_url,
    log,
    write_record,
)
from bench.seed_rows import (
    ClosingFigures,
    Draft,
    Drafter,
    ServiceInfo,
    Watch,
    closure_day,
    has_watch,
)
from config.settings import normalise_database_url
from tracker.calendar.store import load_calendar
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.deadlines.engine import ClockPolicy
from tracker.deadlines.limits import parse_limit
from tracker.deadlines.timezones import local_date
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.identifiers import LOOKUP_ALPHABET, LOOKUP_LENGTH, case_number
from tracker.migrate import current_revision, upgrade
from tracker.models import Service

DEMO_CATALOGUE = ROOT / "tracker" / "catalogue" / "data" / "demo-catalogue.yaml"
# The demo catalogue is written by someone else in parallel; until it exists, the tests' one.
FALLBACK_CATALOGUE = ROOT / "tests" / "data" / "test-catalogue.yaml"
DEFAULT_SEED = 20261122  # same data for the same parameters and "now", run after run
CHUNK = 5_000  # rows per COPY write: big enough to amortise, small enough to show progress

CASE_COLUMNS = (
    "id", "number", "lookup_code", "service_id", "service_version_id", "department_id",
    "channel", "applicant_name", "applicant_phone", "applicant_email", "language", "notify_by",
    "status", "current_step", "received_at", "due_date", "due_at", "closed_at", "created_at",
    "updated_at", "version",
)  # fmt: skip
# The deadline watch's state (migration 0002 added all but the promise); seeded when the schema
# and the code have the watch, in the order Watch.columns gives them.
WATCH_COLUMNS = ("expected_completion", "watch_at", "watched_until", "overdue_since")
# What closing stores for reports (migration 0005), in the order ClosingFigures.columns gives.
FIGURE_COLUMNS = ("working_days_used", "paused_days")
EVENT_COLUMNS = ("id", "case_id", "at", "actor", "kind", "public", "data")
PAUSE_COLUMNS = ("id", "case_id", "requested_at", "resumed_at", "items", "supplement_due")
FOREIGN_KEYS = (  # (table, column, referenced table) for everything COPY writes
    ("cases", "service_id", "services"),
    ("cases", "service_version_id", "service_versions"),
    ("cases", "department_id", "departments"),
    ("case_events", "case_id", "cases"),
    ("pauses", "case_id", "cases"),
)

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘"
GIVEN = "志明美玲淑芬雅婷怡君家豪俊傑宗翰冠宇承恩宥廷品妤詩涵子晴建宏國華文雄秀英麗華惠如佩珊"
NULL = "\\N"


def catalogue_path() -> Path:
    """The demo catalogue once it exists, else the tests' catalogue."""
    return DEMO_CATALOGUE if DEMO_CATALOGUE.exists() else FALLBACK_CATALOGUE


def recreate_database(url: str) -> None:
    """Drop and create the database at ``url`` (connecting to ``postgres`` on the same server)."""
    name = sql.Identifier(database_name(url))
    with psycopg.connect(libpq_url(url, database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def load_services(db: Database) -> tuple[list[ServiceInfo], WorkCalendar]:
    """Every active service with its current SOP, and the calendar the app itself would use."""
    with db.sessions() as session:
        services = [
            ServiceInfo(
                index=index,
                id=service.id,
                version_id=version.id,
                department_id=service.department_id,
                code=service.code,
                limit=parse_limit(version.time_limit),
                clock=ClockPolicy(version.supplement_clock),
                supplement_deadline=parse_limit(version.supplement_deadline),
                steps=len(version.steps),
            )
            for index, (service, version) in enumerate(
                (s, s.current_version)
                for s in session.scalars(
                    select(Service).where(Service.active.is_(True)).order_by(Service.code)
                )
                if s.current_version is not None
            )
        ]
        # No DGPA rows or closures yet, so every agency shares the city-wide calendar.
        calendar = load_calendar(session, None)
    return services, calendar


def draw(drafter: Drafter, cases: int, open_: int, touched: int) -> list[Draft]:
    """All drafts, sorted by receipt (ids and numbers then grow with time, as in production)."""
    progress = Progress("drawing cases", cases)
    drafts: list[Draft] = []
    for i in range(cases):
        if i < touched:
            drafts.append(drafter.open_touched())
        elif i < open_:
            drafts.append(drafter.open_untouched())
        else:
            drafts.append(drafter.closed())
        if i % 10_000 == 0:
            progress.update(i)
    progress.finish(cases)
    drafts.sort(key=attrgetter("received_at"))
    return drafts


def _opt(value: date | datetime | None) -> str:
    """A nullable date or instant in COPY text format."""
    return NULL if value is None else value.isoformat()


def case_lines(
    drafts: Sequence[Draft],
    services: Sequence[ServiceInfo],
    rng: random.Random,
    watch: Callable[[Draft, ServiceInfo], tuple[date | datetime | None, ...]] | None,
    figures: Callable[[Draft], tuple[int | None, int | None]] | None = None,
) -> Iterator[str]:
    """One ``cases`` row per draft; ids follow the sorted order, numbers restart each day.

    Lines are formatted by hand rather than through psycopg's row adapters: at a million rows
    the per-value dispatch costs more than the database spends on the row. ``watch`` gives the
    deadline watch's columns (WATCH_COLUMNS) where the schema has them.
    """
    counters: dict[date, int] = {}
    for case_id, d in enumerate(drafts, start=1):
        service = services[d.service]
        day = local_date(d.received_at)
        sequence = counters[day] = counters.get(day, 0) + 1
        phone = f"+8869{rng.randrange(10**8):08d}" if rng.random() < 0.9 else None
        email = f"applicant{case_id}@mail.example" if rng.random() < 0.25 else None
        # As filing defaults it: SMS to a mobile, email when given, both when both are.
        notify_by = "both" if phone and email else "sms" if phone else "email" if email else "none"
        if d.status in ("completed", "rejected", "withdrawn"):
            step, version = service.steps - 1, 3
        elif d.status == "received":
            step, version = 0, 1
        else:
            step, version = min(1, service.steps - 1), 2 if d.status == "in_progress" else 3
        if d.pause_end is not None:
            version += 2  # the request and the arrival each changed the case
        updated = d.closed_at or d.pause_end or d.pause_start or d.received_at
        received = d.received_at.isoformat()
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        code = "".join(rng.choices(LOOKUP_ALPHABET, k=LOOKUP_LENGTH))
        language = "zh-TW" if rng.random() < 0.95 else "en"
        line = (
            f"{case_id}\t{case_number(day, sequence)}\t{code}\t{service.id}\t"
            f"{service.version_id}\t{service.department_id}\t{d.channel}\t{name}\t"
            f"{phone or NULL}\t{email or NULL}\t{language}\t{notify_by}\t{d.status}\t{step}\t"
            f"{received}\t{_opt(d.due_date)}\t{_opt(d.due_at)}\t{_opt(d.closed_at)}\t"
            f"{received}\t{updated.isoformat()}\t{version}"
        )
        if watch is not None:
            line += "\t" + "\t".join(map(_opt, watch(d, service)))
        if figures is not None:
            line += "\t" + "\t".join(NULL if v is None else str(v) for v in figures(d))
        yield line


def copy_lines(
    conn: psycopg.Connection, table: str, columns: Sequence[str], lines: Iterable[str], total: int
) -> float:
    """Stream COPY text ``lines`` into ``table``; returns rows per second."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    progress = Progress(f"COPY {table}", total)
    done = 0
    chunk: list[str] = []
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for line in lines:
            chunk.append(line)
            if len(chunk) >= CHUNK:
                done += len(chunk)
                copy.write("\n".join(chunk) + "\n")
                chunk.clear()
                progress.update(done)
        if chunk:
            done += len(chunk)
            copy.write("\n".join(chunk) + "\n")
    return progress.finish(done)


def check_references(conn: psycopg.Connection) -> None:
    """Check every foreign key of the loaded tables in one pass each (see ``seed``)."""
    for table, column, target in FOREIGN_KEYS:
        row = conn.execute(
            sql.SQL(
                "SELECT count(*) FROM {t} WHERE {c} IS NOT NULL"
                " AND NOT EXISTS (SELECT FROM {r} WHERE {r}.id = {t}.{c})"
            ).format(t=sql.Identifier(table), c=sql.Identifier(column), r=sql.Identifier(target))
        ).fetchone()
        if row is None or row[0]:
            raise RuntimeError(f"{table}.{column}: {row and row[0]} rows refer to no {target}")


def seed(
    url: str,
    *,
    cases: int,
    open_: int,
    touched: int | None = None,
    rng_seed: int = DEFAULT_SEED,
    now: datetime | None = None,
) -> SeedRecord:
    """Drop, create, migrate and fill the database at ``url``; returns (and stores) the record."""
    if not 0 <= open_ <= cases:
        raise ValueError(f"--open must be between 0 and --cases ({cases:,}), not {open_:,}")
    touched = min(100_000, open_ // 10) if touched is None else touched
    if not 0 <= touched <= open_:
        raise ValueError(f"--touched must be between 0 and --open ({open_:,}), not {touched:,}")
    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(microsecond=0)
    catalogue = catalogue_path()
    log(f"seeding {database_name(url)}: {cases:,} cases, {open_:,} open, {touched:,} touched")

    recreate_database(url)
    upgrade(url)
    schema = current_revision(url) or "none"
    db = Database(url)
    try:
        with db.transaction() as session:
            load_catalogue(session, read_catalogue(catalogue), now=now)
        services, calendar = load_services(db)
    finally:
        db.dispose()
    closure = closure_day(now, calendar)
    log(f"  {catalogue.relative_to(ROOT)}: {len(services)} services; closure day {closure}")

    rng = random.Random(rng_seed)
    drafter = Drafter(services, calendar, now, closure, rng)
    drafts = draw(drafter, cases, open_, touched)
    log(f"  {drafter.memo_size:,} distinct day-based deadlines computed for {cases:,} cases")

    load_started = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn:
        # One transaction; nothing here needs to survive a crash before the final commit.
        conn.execute("SET synchronous_commit = off")
        # Row-by-row foreign key triggers cost more than the rest of the load together (half
        # the COPY time at 100,000 rows); skip them while loading and check every reference
        # set-wise afterwards instead, in the same transaction.
        conn.execute("SET session_replication_role = replica")
        columns, watch = _watch_columns(conn, now, calendar)
        if _has_columns(conn, FIGURE_COLUMNS):
            columns, figures = columns + FIGURE_COLUMNS, ClosingFigures(calendar).columns
        else:
            figures = None
        lines = case_lines(drafts, services, rng, watch, figures)
        rate = copy_lines(conn, "cases", CASE_COLUMNS + columns, lines, cases)
        copy_lines(conn, "case_events", EVENT_COLUMNS, event_lines(drafts, services), cases)
        paused = [(i, d) for i, d in enumerate(drafts, start=1) if d.pause_start is not None]
        copy_lines(conn, "pauses", PAUSE_COLUMNS, pause_lines(paused), len(paused))
        conn.execute("SET session_replication_role = DEFAULT")
        log("  checking references")
        check_references(conn)
        log("  case_counters, sequences")
        conn.execute(
            "INSERT INTO case_counters (day, last)"
            " SELECT to_date(left(number, 8), 'YYYYMMDD'), max(right(number, -9)::int)"
            " FROM cases GROUP BY 1"
        )
        for table in ("cases", "case_events", "pauses"):
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, 'id'),"
                    " coalesce((SELECT max(id) FROM {i}), 0) + 1, false)"
                ).format(t=sql.Literal(table), i=sql.Identifier(table))
            )
        conn.commit()
    log(f"  loaded in {time.perf_counter() - load_started:,.1f} s; VACUUM ANALYZE")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")

    seconds = time.perf_counter() - started
    record = SeedRecord(
        cases=cases,
        open=open_,
        touched=touched,
        closure_day=closure.isoformat(),
        seeded_at=now.isoformat(),
        seconds=round(seconds, 1),
        catalogue=str(catalogue.relative_to(ROOT)),
        max_case_id=cases,
        rows_per_second=round(rate),
        schema=schema,
    )
    write_record(url, record)
    log(f"seeded {database_name(url)} in {seconds:,.1f} s ({len(paused):,} pauses)")
    return record


def _has_columns(conn: psycopg.Connection, wanted: Sequence[str]) -> bool:
    """Whether the seeded schema's ``cases`` has every column in ``wanted``."""
    present = {
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases'"
        )
    }
    return set(wanted) <= present


def _watch_columns(
    conn: psycopg.Connection, now: datetime, calendar: WorkCalendar
) -> tuple[
    tuple[str, ...], Callable[[Draft, ServiceInfo], tuple[date | datetime | None, ...]] | None
]:
    """The deadline watch's columns and how to fill them, if both schema and code have them.

    Left NULL, open cases would be invisible to the watch's ``watch_at <= now`` scan and its
    partial index would be empty: a table unlike any production one.
    """
    present = {
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases'"
        )
    }
    if not set(WATCH_COLUMNS) <= present or not has_watch():
        return (), None
    return WATCH_COLUMNS, Watch(now, calendar).columns


def event_lines(drafts: Sequence[Draft], services: Sequence[ServiceInfo]) -> Iterator[str]:
    """The ``filed`` event of each case, as ``file_case`` writes it."""
    data = {
        (s.index, channel): json.dumps({"channel": channel, "limit": str(s.limit)})
        for s in services
        for channel in ("counter", "online", "phone", "mail")
    }
    for case_id, d in enumerate(drafts, start=1):
        at = d.received_at.isoformat()
        yield f"{case_id}\t{case_id}\t{at}\tclerk:bench\tfiled\tt\t{data[d.service, d.channel]}"


def pause_lines(paused: Sequence[tuple[int, Draft]]) -> Iterator[str]:
    """One supplement request per paused case."""
    items = json.dumps(["補正文件"], ensure_ascii=False)
    for pause_id, (case_id, d) in enumerate(paused, start=1):
        yield (
            f"{pause_id}\t{case_id}\t{_opt(d.pause_start)}\t{_opt(d.pause_end)}\t{items}\t"
            f"{_opt(d.supplement_due)}"
        )


def main() -> None:
    """Parse the command line and seed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in total")
    parser.add_argument("--open", type=int, default=300_000, help="of which open")
    parser.add_argument(
        "--touched",
        type=int,
        default=None,
        help="open cases whose period contains the closure day (default: 10%% of open, ≤ 100,000)",
    )
    parser.add_argument("--url", default=None, help="database URL (default: BENCH_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args()
    record = seed(
        normalise_database_url(args.url) if args.url else bench_url(),
        cases=args.cases,
        open_=args.open,
        touched=args.touched,
        rng_seed=args.seed,
    )
    print(json.dumps(record.__dict__, indent=2))


if __name__ == "__main__":
    main()
