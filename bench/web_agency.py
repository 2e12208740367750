"""The agency view at 1,000,000 cases, with baselines in the same run.

Run: ``.venv/bin/python bench/web_agency.py [--cases N] [--runs 5]``. Prints a markdown section
for BENCHMARKS.md on stdout; progress goes to stderr.

It reads the main bench database (``tracker_bench``, 30% of the cases open, seeded by
bench/seed.py's ``ensure_seeded`` when missing or stale) and writes
nothing to it but a supervisor of the agency with the most open cases, removed again. Timed in
this process through Flask's test client, signed in as that supervisor: ``GET /counter/agency``
(each department's overdue, due-soon and waiting counts and the agency's oldest overdue cases),
``--runs`` times after one warm-up, with its SQL statements; and the counting alone
(tracker.cases.overview.agency_overview). Baselines in the same run: ``SELECT count(*) FROM
cases`` and the console's login page (a page with no query). Target ≤ 300 ms (issue 16).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import delete, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench import summary
from bench.common import (
    bench_url,
    database_name,
    libpq_url,
    log,
    machine,
    server_version,
    wait_for_quiet,
)
from bench.seed import OPEN_SHARE, ensure_seeded
from bench.sqltimer import StatementTimes, timed_statements
from bench.web_reports import _token
from config import load_settings
from tracker.accounts.users import create_user
from tracker.calendar.store import load_calendar
from tracker.cases.overview import agency_overview
from tracker.db import Database
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Agency, Case, Department, User
from web import create_app

TARGET_MS = 300.0
HEAD = "bench-agency-head"
PASSWORD = "bench-agency-password"


def busiest_agency(db: Database) -> tuple[str, int]:
    """The agency with the most open cases, and how many: the view's worst case."""
    with db.transaction() as session:
        code, count = session.execute(
            select(Agency.code, func.count(Case.id))
            .join(Department, Department.agency_id == Agency.id)
            .join(Case, Case.department_id == Department.id)
            .where(Case.status.in_(OPEN_STATUSES))
            .group_by(Agency.code)
            .order_by(func.count(Case.id).desc())
            .limit(1)
        ).one()
    return str(code), int(count)


def _runs(runs: int, work: object) -> list[float]:
    call = work  # a no-argument callable
    call()  # type: ignore[operator]  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


Results = dict[str, tuple[list[float], StatementTimes | None]]


def measure(url: str, agency: str, runs: int) -> Results:
    """The page, the counting alone and the baselines, ``runs`` times each."""
    db = Database(url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        session.execute(delete(User).where(User.username == HEAD))
        create_user(session, HEAD, role="supervisor", password=PASSWORD, now=now, department=agency)
    env = {
        "DATABASE_URL": libpq_url(url),
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 32,
        "TRACKER_INSTANCE": str(Path("build") / "bench-web-agency"),
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    }
    app = create_app(load_settings(env))
    results: Results = {}
    try:
        client = app.test_client()
        token = _token(client.get("/counter/login").get_data(as_text=True))
        answer = client.post(
            "/counter/login", data={"username": HEAD, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.status_code

        def page() -> None:
            response = client.get("/counter/agency")
            assert response.status_code == 200, response.status_code

        log("timing GET /counter/agency")
        engine = app.extensions["database"].engine
        page()
        times: list[float] = []
        sent: list[StatementTimes] = []
        for _ in range(runs):
            with timed_statements(engine) as statements:
                started = time.perf_counter()
                page()
                times.append((time.perf_counter() - started) * 1000)
            sent.append(statements)
        results["agency view page"] = (times, sent[-1] if sent else None)

        log("timing the counting alone")
        with db.transaction() as session:
            agency_id = session.scalar(select(Agency.id).where(Agency.code == agency))
            calendar = load_calendar(session, agency_id)

        def counting() -> None:
            with db.transaction() as session:
                agency_overview(session, agency_id, now=datetime.now(UTC), calendar=calendar)

        results["counting only (tracker.cases.overview)"] = (_runs(runs, counting), None)

        log("timing the baselines")
        anonymous = app.test_client()
        results["baseline: the login page (no query)"] = (
            _runs(runs, lambda: anonymous.get("/counter/login")),
            None,
        )
        with psycopg.connect(libpq_url(url)) as conn:
            results["baseline: SELECT count(*) FROM cases"] = (
                _runs(runs, lambda: conn.execute("SELECT count(*) FROM cases").fetchone()),
                None,
            )
    finally:
        with db.transaction() as session:
            session.execute(delete(User).where(User.username == HEAD))
        app.extensions["database"].dispose()
        db.dispose()
    return results


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each")
    parser.add_argument("--reseed", action="store_true", help="seed the database again")
    parser.add_argument("--wait-quiet", type=float, default=600.0, help="s to wait for quiet")
    args = parser.parse_args()
    started = time.perf_counter()
    command = " ".join([".venv/bin/python bench/web_agency.py", *sys.argv[1:]])
    url = bench_url()
    open_ = round(args.cases * OPEN_SHARE)
    record, seeded_now = ensure_seeded(url, cases=args.cases, open_=open_, force=args.reseed)
    agency, agency_open = busiest_agency(Database(url))
    quiet = wait_for_quiet(args.wait_quiet)
    results = measure(url, agency, args.runs)

    print(f"## Agency view at {args.cases:,} cases, {datetime.now(UTC).date().isoformat()}")
    print()
    print(f"- machine: {machine()}; {quiet}")
    print(f"- database: {server_version(url)}")
    print(f"- command: `{command}` (total {time.perf_counter() - started:,.0f} s)")
    print(
        f"- data: `{database_name(url)}`, {record.open:,} open cases, seeded by bench/seed.py "
        f"{'in this run' if seeded_now else 'on ' + record.seeded_at[:10]}; the agency with "
        f"the most open cases, `{agency}` ({agency_open:,} open)"
    )
    print(
        "- page: `GET /counter/agency` as a supervisor of that whole agency, in this process "
        f"through Flask's test client after one warm-up; median of {args.runs} runs (min–max)"
    )
    print()
    print("| what | ms | SQL ms (statements) |")
    print("|---|---:|---:|")
    for name, (times, statements) in results.items():
        sql = (
            f"{statements.total_seconds * 1000:,.0f} ({statements.total_count})"
            if statements
            else "—"
        )
        print(f"| {name} | {_spread(times)} | {sql} |")
    view = statistics.median(results["agency view page"][0])
    count = statistics.median(results["baseline: SELECT count(*) FROM cases"][0])
    print()
    print(
        f"Agency view: **{view:,.0f} ms** ({'meets' if view <= TARGET_MS else 'MISSES'} the "
        f"target of {TARGET_MS:,.0f} ms), {view / count:.2f}× a bare `SELECT count(*) FROM "
        "cases` in the same run."
    )
    summary.record(
        "#16",
        f"agency view, busiest agency, {args.cases:,} cases",
        results["agency view page"][0],
        "ms",
        target=f"≤ {TARGET_MS:,.0f} ms",
        meets=view <= TARGET_MS,
        ratio=view / count,
        baseline="`SELECT count(*) FROM cases`",
    )


if __name__ == "__main__":
    main()
