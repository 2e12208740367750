"""The agency view at 1,000,000 cases, with baselines in the same run.

Run: ``.venv/bin/python bench/web_agency.py [--cases N] [--runs 5]``. It reads the main bench
database (``tracker_bench``, 30% open, seeded when missing or stale) and writes nothing to it but
a supervisor of the agency with the most open cases, removed again. Timed in this process
through Flask's test client, signed in as that supervisor: ``GET /counter/agency`` (each
department's overdue, due-soon and waiting counts and the agency's oldest overdue cases),
``--runs`` times after one warm-up. Baselines in the same run: ``SELECT count(*) FROM cases``
and the console's login page (a page with no query). Target ≤ 300 ms (issue 16).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import summary
from bench.common import (
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
    wait_for_quiet,
)
from bench.seed import OPEN_SHARE, ensure_seeded
from tracker.accounts.users import create_user
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Agency, Case, Department, User

TARGET_MS = 300.0
HEAD, PASSWORD = "bench-agency-head", "bench-agency-password"
PAGE, COUNT = "agency view page", "baseline: SELECT count(*) FROM cases"


def measure(url: str, runs: int) -> tuple[str, int, dict[str, list[float]]]:
    """The agency with the most open cases, its open count, and the page's and baselines' ms."""
    with database(url) as db, db.transaction() as session:
        agency, count = session.execute(
            select(Agency.code, func.count(Case.id))
            .join(Department, Department.agency_id == Agency.id)
            .join(Case, Case.department_id == Department.id)
            .where(Case.status.in_(OPEN_STATUSES))
            .group_by(Agency.code)
            .order_by(func.count(Case.id).desc())
            .limit(1)
        ).one()
        session.execute(delete(User).where(User.username == HEAD))
        now = datetime.now(UTC)
        create_user(session, HEAD, role="supervisor", password=PASSWORD, now=now, department=agency)
    app = bench_app(url, "web-agency")
    try:
        client = signed_in(app, HEAD, PASSWORD)

        def page() -> None:
            assert client.get("/counter/agency").status_code == 200

        log("timing GET /counter/agency, then the baselines")
        anonymous = app.test_client()
        results = {
            PAGE: timed_ms(runs, page),
            "baseline: the login page (no query)": timed_ms(
                runs, lambda: anonymous.get("/counter/login")
            ),
        }
        with psycopg.connect(libpq_url(url)) as conn:
            query = "SELECT count(*) FROM cases"
            results[COUNT] = timed_ms(runs, lambda: conn.execute(query).fetchone())
    finally:
        with database(url) as db, db.transaction() as session:
            session.execute(delete(User).where(User.username == HEAD))
        app.extensions["database"].dispose()
    return str(agency), int(count), results


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each")
    parser.add_argument("--reseed", action="store_true", help="seed the database again")
    parser.add_argument("--wait-quiet", type=float, default=600.0, help="s to wait for quiet")
    args = parser.parse_args()
    started = time.perf_counter()
    url = bench_url()
    opened = round(args.cases * OPEN_SHARE)
    record, now = ensure_seeded(url, cases=args.cases, open_=opened, force=args.reseed)
    quiet = wait_for_quiet(args.wait_quiet)
    agency, agency_open, results = measure(url, args.runs)

    data = f"{seeded_line(database_name(url), record, now)}; the agency with the most open "
    header(f"Agency view at {args.cases:,} cases", started, url=url, quiet=quiet,
           data=[data + f"cases, `{agency}` ({agency_open:,} open)"])  # fmt: skip
    print(
        "- page: `GET /counter/agency` as a supervisor of that whole agency, in this process "
        f"through Flask's test client after one warm-up; median of {args.runs} runs (min–max)"
        "\n\n| what | ms |\n|---|---:|"
    )
    for name, times in results.items():
        print(f"| {name} | {summary.spread(times, ',.0f')} |")
    view, count = statistics.median(results[PAGE]), statistics.median(results[COUNT])
    ok = view <= TARGET_MS
    print(
        f"\nAgency view: **{view:,.0f} ms** ({summary.verdict(ok)} the target of "
        f"{TARGET_MS:,.0f} ms), {view / count:.2f}× a bare `SELECT count(*) FROM cases` in the "
        "same run."
    )
    summary.record(
        "#16", f"agency view, busiest agency, {args.cases:,} cases", results[PAGE], "ms",
        f"≤ {TARGET_MS:,.0f} ms", ok, view / count, "`SELECT count(*) FROM cases`",
    )  # fmt: skip


if __name__ == "__main__":
    main()
