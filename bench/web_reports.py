"""The reports page at 1,000,000 cases, with baselines in the same run.

Run: ``.venv/bin/python bench/web_reports.py [--cases N] [--runs 3] [--months 12]``.

The database is ``tracker_bench_reports`` (its own, so a run never meets the rows another
benchmark changes), seeded by bench/seed.py when missing or stale (30% of the cases open), then
given what the page also reads and the seed does not write: one receipt per case, written by
``tracker.notices.outbox`` (``BatchNotices``, ``insert_notices``) to the applicant's channels
and then given a plausible mix of delivery outcomes, and a satisfaction answer for one completed
case in ten, then VACUUM ANALYZE.

Measured in this process through Flask's test client, signed in as an administrator (the whole
city, every filter open) and as a supervisor (their department): ``GET /counter/reports`` for the
``--months`` months before the seed's month, ``--runs`` times each after one warm-up. Baselines
in the same run: ``SELECT count(*) FROM cases`` (one pass over the table's smallest index) and
the console's static open-data page, a trivial page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import summary
from bench.common import (
    SeedRecord,
    bench_app,
    bench_url,
    database,
    database_name,
    header,
    libpq_url,
    log,
    seeded_line,
    signed_in,
    timed_ms,
)
from bench.seed import OPEN_SHARE, ensure_seeded
from tracker.accounts.users import create_user
from tracker.deadlines.engine import Deadline
from tracker.models import Case, Department, User
from tracker.notices.outbox import NOTICE_COLUMNS, BatchNotices, insert_notices
from tracker.reports.statistics import Period, Scope, finest_groups_statement, previous_month

TARGET_MS = 1000.0
COUNT = "baseline: SELECT count(*) FROM cases"
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
    with database(url) as db:
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
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) notices, survey_responses")
    return notices, surveys, time.perf_counter() - started


def _months_before(seeded_at: str, months: int) -> tuple[str, str]:
    """The ``months`` whole months before the seed's month, as ``YYYY-MM`` bounds."""
    last = previous_month(date.fromisoformat(seeded_at[:10]).replace(day=1))
    first = last
    for _ in range(months - 1):
        first = previous_month(first)
    return first.strftime("%Y-%m"), last.strftime("%Y-%m")


def measure(url: str, record: SeedRecord, args: argparse.Namespace) -> dict[str, list[float]]:
    """Sign in as each role and time the page, then the baselines (ms)."""
    with database(url) as db, db.transaction() as session:
        now = datetime.fromisoformat(record.seeded_at)
        session.execute(delete(User).where(User.username.in_(["bench-admin", "bench-boss"])))
        department = session.scalars(select(Department).order_by(Department.id)).first()
        assert department is not None
        create_user(session, "bench-admin", role="admin", password=PASSWORD, now=now)
        create_user(session, "bench-boss", role="supervisor", password=PASSWORD, now=now,
                    department=department.path)  # fmt: skip
    app = bench_app(url, "web-reports")
    first, last = _months_before(record.seeded_at, args.months)
    path = f"/counter/reports?from={first}&to={last}"
    results: dict[str, list[float]] = {}

    def getter(client: Any, target: str) -> Callable[[], None]:
        def get() -> None:
            assert client.get(target).status_code == 200, target

        return get

    for role, username in (("admin", "bench-admin"), ("supervisor", "bench-boss")):
        log(f"timing {path} as {role}")
        client = signed_in(app, username, PASSWORD)
        results[f"reports, {role}"] = timed_ms(args.runs, getter(client, path))
    log("timing the baselines")
    static = getter(app.test_client(), "/open-data")
    results["baseline: the open-data page (static)"] = timed_ms(args.runs, static)
    with psycopg.connect(libpq_url(url)) as conn:
        count = lambda: conn.execute("SELECT count(*) FROM cases").fetchone()  # noqa: E731
        results[COUNT] = timed_ms(args.runs, count)
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


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each page")
    parser.add_argument("--months", type=int, default=12, help="months in the report's range")
    parser.add_argument("--reseed", action="store_true", help="seed the database again")
    args = parser.parse_args()
    started = time.perf_counter()
    url = bench_url("_reports")
    open_ = round(args.cases * OPEN_SHARE)
    record, seeded_now = ensure_seeded(url, cases=args.cases, open_=open_, force=args.reseed)
    notices, surveys, extra_seconds = add_notices_and_surveys(url)
    results = measure(url, record, args)
    first, last = _months_before(record.seeded_at, args.months)

    extra = f"{extra_seconds:,.0f} s{' in this run' if extra_seconds else ', earlier'}"
    data = (
        f"{seeded_line(database_name(url), record, seeded_now)}; {notices:,} receipts "
        f"(tracker.notices.outbox) and {surveys:,} survey answers added ({extra})"
    )
    header(f"Reports page at {args.cases:,} cases", started, url=url, data=[data])
    print(
        f"- page: `GET /counter/reports?from={first}&to={last}` ({args.months} months, no "
        "other filter) in this process through Flask's test client, after one warm-up; "
        f"median of {args.runs} runs (min–max)\n\n| what | ms |\n|---|---:|"
    )
    for name, times in results.items():
        print(f"| {name} | {summary.spread(times, ',.0f')} |")
    admin, count = statistics.median(results["reports, admin"]), statistics.median(results[COUNT])
    boss = results["reports, supervisor"]
    ok = admin <= TARGET_MS
    print(
        f"\nReports page for the whole city: **{admin:,.0f} ms** ({summary.verdict(ok)} the "
        f"target of {TARGET_MS:,.0f} ms), {admin / count:.1f}× a bare `SELECT count(*) FROM "
        "cases` in the same run."
    )
    summary.record(
        "#5", f"reports page, whole city, 12 months, {args.cases:,} cases",
        results["reports, admin"], "ms", f"≤ {TARGET_MS:,.0f} ms", ok, admin / count,
        "`SELECT count(*) FROM cases`",
    )  # fmt: skip
    summary.record(
        "#5", f"reports page, one department, 12 months, {args.cases:,} cases", boss, "ms",
        f"≤ {TARGET_MS:,.0f} ms", statistics.median(boss) <= TARGET_MS,
    )  # fmt: skip
    plan = explain(url, record, args.months)
    print(f"\nPlan of the statistics statement (`EXPLAIN (ANALYZE, BUFFERS)`):\n\n```\n{plan}\n```")


if __name__ == "__main__":
    main()
