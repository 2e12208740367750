"""The reports page at 1,000,000 cases, with a baseline in the same run.

Run: ``.venv/bin/python bench/web_reports.py [--cases N] [--runs 3] [--months 12]``. Prints a
markdown section for BENCHMARKS.md on stdout; progress goes to stderr.

The database is ``tracker_bench_reports`` (its own, so a run never meets the rows another
benchmark changes), seeded by bench/seed.py when missing or stale (30% of the cases open), then
given what the page also reads and the seed does not write: one receipt per case, written by
``tracker.notices.outbox`` (``BatchNotices``, ``insert_notices``) to the applicant's channels
and then given a plausible mix of delivery outcomes, and a satisfaction answer for one completed
case in ten, then VACUUM ANALYZE.

Measured in this process through Flask's test client, signed in as an administrator (the whole
city, every filter open) and as a supervisor (their department): ``GET /counter/reports`` for the
``--months`` months before the seed's month, ``--runs`` times each after one warm-up, with the
SQL statements timed. Baselines in the same run: ``SELECT count(*) FROM cases`` (one pass over
the table's smallest index) and the console's static open-data page, a trivial page. The
open-data JSON for the default twelve months is timed once with its cache emptied.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import psycopg
from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench import summary
from bench.common import (
    SeedRecord,
    bench_url,
    database_name,
    libpq_url,
    log,
    machine,
    server_version,
)
from bench.seed import OPEN_SHARE, ensure_seeded
from bench.sqltimer import StatementTimes, timed_statements
from config import load_settings
from tracker.accounts.users import create_user
from tracker.db import Database
from tracker.deadlines.engine import Deadline
from tracker.models import Case, Department, User
from tracker.notices.outbox import NOTICE_COLUMNS, BatchNotices, insert_notices
from tracker.reports.statistics import (
    Period,
    Scope,
    case_statistics,
    finest_groups_statement,
    previous_month,
)
from web import create_app

TARGET_MS = 1000.0
PASSWORD = "bench-reports-password"
RECEIPT_BATCH = 20_000

# The receipts' fates, from the case id (deterministic): most delivered, a few failing.
OUTCOMES_SQL = """
UPDATE notices SET attempts = 1, sent_at = created_at,
  status = CASE WHEN id % 100 < 86 THEN 'delivered' WHEN id % 100 < 91 THEN 'sent'
                WHEN id % 100 < 94 THEN 'failed' WHEN id % 100 < 95 THEN 'undelivered'
                ELSE 'pending' END
WHERE status = 'pending'
"""
SURVEYS_SQL = """
INSERT INTO survey_responses (case_id, service_id, department_id, score, comment, answered_at)
SELECT id, service_id, department_id, 1 + (id * 7919) % 5, NULL, closed_at + interval '1 day'
FROM cases WHERE status = 'completed' AND id % 10 = 0
"""


def add_notices_and_surveys(url: str) -> tuple[int, int, float]:
    """Receipts and survey answers, once per seed (skipped when there are notices already);
    the rows and the seconds taken."""
    started = time.perf_counter()
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            if conn.scalar(text("SELECT count(*) FROM notices")):
                notices = conn.scalar(text("SELECT count(*) FROM notices")) or 0
                surveys = conn.scalar(text("SELECT count(*) FROM survey_responses")) or 0
                return int(notices), int(surveys), 0.0
        log("  notices: one receipt per case (tracker.notices.outbox.BatchNotices)")
        last = 0
        while True:
            with db.transaction() as session:
                cases = session.execute(
                    select(*NOTICE_COLUMNS, Case.received_at, Case.due_date, Case.due_at)
                    .where(Case.id > last)
                    .order_by(Case.id)
                    .limit(RECEIPT_BATCH)
                ).all()
                if not cases:
                    break
                batch = BatchNotices(session, cases)
                rows = [
                    row
                    for c in cases
                    for row in batch.rows(
                        c, "receipt", trigger_at=c.received_at, now=c.received_at,
                        due=Deadline(c.due_date, c.due_at) if c.due_at else None, extra={},
                    )
                ]  # fmt: skip
                insert_notices(session, rows)
                last = cases[-1].id
        with db.engine.begin() as conn:
            conn.execute(text(OUTCOMES_SQL))
            log("  survey answers: one completed case in ten")
            conn.execute(text(SURVEYS_SQL))
            notices = int(conn.scalar(text("SELECT count(*) FROM notices")) or 0)
            surveys = int(conn.scalar(text("SELECT count(*) FROM survey_responses")) or 0)
    finally:
        db.dispose()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) notices, survey_responses")
    return notices, surveys, time.perf_counter() - started


@dataclass
class Timings:
    """Wall milliseconds of each run, and the statements of the last one."""

    ms: list[float] = field(default_factory=list)
    statements: StatementTimes | None = None
    page_bytes: int = 0


def _months_before(seeded_at: str, months: int) -> tuple[str, str]:
    """The ``months`` whole months before the seed's month, as ``YYYY-MM`` bounds."""
    last = previous_month(date.fromisoformat(seeded_at[:10]).replace(day=1))
    first = last
    for _ in range(months - 1):
        first = previous_month(first)
    return first.strftime("%Y-%m"), last.strftime("%Y-%m")


def measure(url: str, record: SeedRecord, args: argparse.Namespace) -> dict[str, Timings]:
    """Sign in as each role and time the pages and the baselines."""
    db = Database(url)
    now = datetime.fromisoformat(record.seeded_at)
    with db.transaction() as session:
        session.execute(delete(User).where(User.username.in_(["bench-admin", "bench-boss"])))
        department = session.scalars(select(Department).order_by(Department.id)).first()
        assert department is not None
        create_user(session, "bench-admin", role="admin", password=PASSWORD, now=now)
        create_user(
            session,
            "bench-boss",
            role="supervisor",
            password=PASSWORD,
            now=now,
            department=department.path,
        )
    db.dispose()
    env = {
        "DATABASE_URL": libpq_url(url),
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 32,
        "TRACKER_INSTANCE": str(Path("build") / "bench-web-reports"),
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    }
    app = create_app(load_settings(env))
    engine = app.extensions["database"].engine
    first, last = _months_before(record.seeded_at, args.months)
    path = f"/counter/reports?from={first}&to={last}"
    results: dict[str, Timings] = {}

    def timed(name: str, client: object, target: str) -> None:
        found = results.setdefault(name, Timings())
        get = client.get  # type: ignore[attr-defined]
        response = get(target)  # warm-up: templates compiled, statements cached
        assert response.status_code == 200, (target, response.status_code)
        for _ in range(args.runs):
            with timed_statements(engine) as statements:
                started = time.perf_counter()
                response = get(target)
                found.ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (target, response.status_code)
            found.statements = statements
            found.page_bytes = len(response.get_data())

    for role, username in (("admin", "bench-admin"), ("supervisor", "bench-boss")):
        client = app.test_client()
        token = _token(client.get("/counter/login").get_data(as_text=True))
        answer = client.post(
            "/counter/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
        )
        assert answer.status_code == 303, answer.status_code
        log(f"timing {path} as {role}")
        timed(f"reports, {role}", client, path)
    log("timing the baselines")
    timed("baseline: the open-data page (static)", app.test_client(), "/open-data")
    count = results.setdefault("baseline: SELECT count(*) FROM cases", Timings())
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SELECT count(*) FROM cases")
        for _ in range(args.runs):
            started = time.perf_counter()
            conn.execute("SELECT count(*) FROM cases").fetchone()
            count.ms.append((time.perf_counter() - started) * 1000)
    log("timing the open-data JSON (cache emptied each run)")
    opened = results.setdefault("open data JSON, 12 months, uncached", Timings())
    client = app.test_client()
    for _ in range(args.runs):
        app.extensions.pop("open_data_cache", None)
        started = time.perf_counter()
        response = client.get("/open-data/monthly.json")
        opened.ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        opened.page_bytes = len(response.get_data())
    log("timing the statistics alone (tracker.reports.statistics.case_statistics)")
    period = Period.of_months(first, last)
    database = Database(url)
    found = results.setdefault("statistics only (tracker.reports.statistics)", Timings())
    with database.transaction() as session:
        case_statistics(session, period, Scope(), now)
    for _ in range(args.runs):
        with database.transaction() as session:
            started = time.perf_counter()
            case_statistics(session, period, Scope(), now)
            found.ms.append((time.perf_counter() - started) * 1000)
    database.dispose()
    app.extensions["database"].dispose()
    return results


def explain(url: str, record: SeedRecord, months: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the page's statistics statement, with its settings."""
    first, last = _months_before(record.seeded_at, months)
    stmt = finest_groups_statement(
        Period.of_months(first, last),
        Scope(),
        datetime.fromisoformat(record.seeded_at),
        "postgresql",
    )
    sql_text = str(
        stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SET jit = off")  # as tracker.reports.statistics runs it
        conn.execute("SET enable_sort = off")
        plan = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql_text}").fetchall()
    return "\n".join(str(line[0]) for line in plan)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the login page"
    return match.group(1)


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each page")
    parser.add_argument("--months", type=int, default=12, help="months in the report's range")
    parser.add_argument("--reseed", action="store_true", help="seed the database again")
    args = parser.parse_args()
    started = time.perf_counter()
    command = " ".join([".venv/bin/python bench/web_reports.py", *sys.argv[1:]])
    url = bench_url("_reports")
    open_ = round(args.cases * OPEN_SHARE)
    record, seeded_now = ensure_seeded(url, cases=args.cases, open_=open_, force=args.reseed)
    notices, surveys, extra_seconds = add_notices_and_surveys(url)
    results = measure(url, record, args)
    first, last = _months_before(record.seeded_at, args.months)

    print(f"## Reports page at {args.cases:,} cases, {date.today().isoformat()}")
    print()
    print(f"- machine: {machine()}")
    print(f"- database: {server_version(url)}")
    print(f"- command: `{command}` (total {time.perf_counter() - started:,.0f} s)")
    print(
        f"- data: `{database_name(url)}`, seeded by bench/seed.py "
        f"{'in this run' if seeded_now else 'on ' + record.seeded_at[:10]} "
        f"({record.seconds:,.0f} s); {notices:,} receipts (tracker.notices.outbox) and "
        f"{surveys:,} survey answers added "
        f"({extra_seconds:,.0f} s{' in this run' if extra_seconds else ', earlier'})"
    )
    print(
        f"- page: `GET /counter/reports?from={first}&to={last}` ({args.months} months, no "
        "other filter) in this process through Flask's test client, after one warm-up; "
        f"median of {args.runs} runs (min–max)"
    )
    print()
    print("| what | ms | SQL ms (statements) | bytes |")
    print("|---|---:|---:|---:|")
    for name, found in results.items():
        sql = (
            f"{found.statements.total_seconds * 1000:,.0f} ({found.statements.total_count})"
            if found.statements
            else "—"
        )
        size = f"{found.page_bytes:,}" if found.page_bytes else "—"
        print(f"| {name} | {summary.spread(found.ms, ',.0f')} | {sql} | {size} |")
    admin = statistics.median(results["reports, admin"].ms)
    count = statistics.median(results["baseline: SELECT count(*) FROM cases"].ms)
    print()
    print(
        f"Reports page for the whole city: **{admin:,.0f} ms** "
        f"({'meets' if admin <= TARGET_MS else 'MISSES'} the target of {TARGET_MS:,.0f} ms), "
        f"{admin / count:.1f}× a bare `SELECT count(*) FROM cases` in the same run."
    )
    summary.record(
        "#5",
        f"reports page, whole city, 12 months, {args.cases:,} cases",
        results["reports, admin"].ms,
        "ms",
        target=f"≤ {TARGET_MS:,.0f} ms",
        meets=admin <= TARGET_MS,
        ratio=admin / count,
        baseline="`SELECT count(*) FROM cases`",
    )
    summary.record(
        "#5",
        f"reports page, one department, 12 months, {args.cases:,} cases",
        results["reports, supervisor"].ms,
        "ms",
        target=f"≤ {TARGET_MS:,.0f} ms",
        meets=statistics.median(results["reports, supervisor"].ms) <= TARGET_MS,
    )
    print()
    print("Plan of the statistics statement (`EXPLAIN (ANALYZE, BUFFERS)`):")
    print()
    print("```")
    print(explain(url, record, args.months))
    print("```")
    statements = results["reports, admin"].statements
    if statements:
        print()
        print("| statement (admin page, last run) | count | seconds |")
        print("|---|---:|---:|")
        print("\n".join(statements.lines()))


if __name__ == "__main__":
    main()
