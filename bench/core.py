"""Core figures at a million cases in PostgreSQL: filing, the due-before-T plan, closure re-timing.

Run: ``.venv/bin/python bench/core.py [--cases N]``. Two databases (bench/README.md):
``tracker_bench`` with N cases, 30% open, for filing and the query plan, and
``tracker_bench_closure`` with N cases all open, 10% of them (at most 100,000) running over the
closure day, for the re-timing; each seeded by bench/seed.py when missing or stale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import summary
from bench.common import (
    bench_url,
    database,
    database_name,
    explain_as_sent,
    header,
    log,
    seeded_line,
)
from bench.core_closure import ClosureFigures, declare_closure, measure_closure
from bench.core_filing import FilingFigures, measure_filing
from bench.seed import OPEN_SHARE, ensure_seeded
from tracker.db import Database
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Case

FILING_TARGET_MS = 20.0  # p95 (the brief)
CLOSURE_TARGET_S = 30.0
INDEX, LIMIT = "ix_cases_open_due_at", 1000
MEASURES = ("filing", "query", "closure")


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in each database")
    parser.add_argument("--filings", type=int, default=2_000, help="filings per run")
    parser.add_argument("--warmup", type=int, default=300, help="filings before the runs")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure")
    parser.add_argument("--reseed", action="store_true", help="seed both databases again")
    parser.add_argument("--only", choices=MEASURES, action="append", help="measure only this")
    args = parser.parse_args()
    only = set(args.only or MEASURES)
    started = time.perf_counter()
    main_url, all_open_url = bench_url(), bench_url("_closure")
    data: list[str] = []
    filing: FilingFigures | None = None
    plan: tuple[str, list[str], int, int] | None = None
    closure: ClosureFigures | None = None
    if only & {"filing", "query"}:
        opened = round(args.cases * OPEN_SHARE)
        record, now = ensure_seeded(main_url, cases=args.cases, open_=opened, force=args.reseed)
        data.append(seeded_line(database_name(main_url), record, now))
        with database(main_url) as db:
            if "filing" in only:
                filing = measure_filing(
                    db, filings=args.filings, warmup=args.warmup, runs=args.runs,
                    max_case_id=record.max_case_id,
                )  # fmt: skip
            if "query" in only:
                plan = explain_open_due(db, datetime.now(UTC))
    if "closure" in only:
        record, now = ensure_seeded(all_open_url, cases=args.cases, open_=args.cases,
                                    force=args.reseed)  # fmt: skip
        data.append(seeded_line(database_name(all_open_url), record, now))
        day, seeded_at = (
            date.fromisoformat(record.closure_day),
            datetime.fromisoformat(record.seeded_at),
        )
        with database(all_open_url) as db:
            closure = measure_closure(db, day, seeded_at=seeded_at, runs=args.runs)

    header(f"Core figures at {args.cases:,} cases (PostgreSQL)", started, url=main_url, data=data)
    if filing:
        _filing_section(args.cases, filing)
    if plan:
        _plan_section(*plan)
    if closure:
        _closure_section(args.cases, closure)


def explain_open_due(db: Database, t: datetime) -> tuple[str, list[str], int, int]:
    """ "Open cases due before T" as the application sends it, its plan, and how many are due.

    Built with SQLAlchemy (``Case.status.in_(OPEN_STATUSES) & Case.due_at < t``): the partial
    index qualifies only if the planner can prove the status list implies its predicate.
    """
    open_filter = Case.status.in_(OPEN_STATUSES)
    query = select(Case.id).where(open_filter, Case.due_at < t).order_by(Case.due_at).limit(LIMIT)

    def run() -> None:
        with db.engine.connect() as conn:
            conn.execute(query).all()

    statement, plan = explain_as_sent(db.engine, run, lambda sql: "FROM cases" in sql)
    with db.engine.connect() as conn:
        open_cases = conn.scalar(select(func.count()).where(open_filter)) or 0
        due = conn.scalar(select(func.count()).where(open_filter, Case.due_at < t)) or 0
    return statement, plan, open_cases, due


def _filing_section(cases: int, f: FilingFigures) -> None:
    print(
        f"\n### Filing a case with {cases:,} cases present\n\n"
        "`tracker.cases.filing.file_case` + commit, a new session per filing as a request has: "
        f"{len(f.runs)} runs of {f.filings:,} filings after {f.warmup:,} warm-up filings, each "
        "filing followed by one baseline write, a CHECKPOINT before each run. Median of the "
        "runs' percentiles (min–max), ms.\n\n| measure | p50 | p95 | p99 |\n|---|---:|---:|---:|"
    )
    rows = (("`file_case` + commit", f.runs), ("baseline: one-row INSERT + commit", f.baseline))
    for label, runs in rows:
        cells = [summary.spread([getattr(r, p) for r in runs]) for p in ("p50", "p95", "p99")]
        print(f"| {label} | {' | '.join(cells)} |")
    ratios = [
        statistics.median(getattr(r, p) for r in f.runs)
        / statistics.median(getattr(r, p) for r in f.baseline)
        for p in ("p50", "p95", "p99")
    ]
    print(f"| ratio file_case / baseline | {' | '.join(f'{r:.1f}' for r in ratios)} |\n")
    p95 = statistics.median(r.p95 for r in f.runs)
    ok = p95 <= FILING_TARGET_MS
    summary.record(
        "#2", f"filing a case with {cases:,} cases, p95 incl. commit", [r.p95 for r in f.runs],
        "ms", f"≤ {FILING_TARGET_MS:.0f} ms", ok, ratios[1], "one-row INSERT + commit, p95",
    )  # fmt: skip
    print(f"p95 {p95:.1f} ms {summary.verdict(ok)} the target of {FILING_TARGET_MS:.0f} ms.")


def _plan_section(statement: str, plan: list[str], open_cases: int, due: int) -> None:
    uses = any(f"Index Scan using {INDEX}" in x or f"Only Scan using {INDEX}" in x for x in plan)
    print(
        "\n### Open cases due before T\n\n"
        "`select(Case.id).where(Case.status.in_(OPEN_STATUSES), Case.due_at < t)"
        f".order_by(Case.due_at).limit({LIMIT})`, T = now; {open_cases:,} open cases, {due:,} of "
        "them due before T. The SQL as the application sends it, then `EXPLAIN (ANALYZE, "
        "BUFFERS)` of it with the same parameters on the same connection:\n\n```sql\n"
        + "\n".join(line.rstrip() for line in statement.splitlines())
        + "\n```\n\n```\n"
        + "\n".join(plan)
        + f"\n```\n\nThe plan {'uses' if uses else 'DOES NOT use'} `{INDEX}`."
    )
    if not uses:
        log(f"FAILED: the plan does not use {INDEX}")
        sys.exit(1)


def _closure_section(cases: int, c: ClosureFigures) -> None:
    print(
        f"\n### Closure re-timing with {cases:,} open cases\n\n"
        f"`{declare_closure.__module__}.declare_closure(session, {c.day}, ...)` + commit, one "
        f"transaction; {c.candidates:,} open cases run over {c.day}. Each run commits; between "
        "runs (untimed) the changed cases are copied back from a snapshot taken before run 1, "
        "the events, notices and the closure are deleted, the tables VACUUM ANALYZEd and a "
        "CHECKPOINT taken, so every run starts alike. Baseline: `UPDATE cases SET updated_at = "
        "updated_at WHERE id = ANY(ids)` of the same ids, committed, in the same run.\n\n"
        "| run | re-timed | seconds | of which commit | WAL MiB | baseline s | ratio |\n"
        "|---:|---:|---:|---:|---:|---:|---:|"
    )
    for i, r in enumerate(c.runs, start=1):
        print(
            f"| {i} | {r.retimed:,} | {r.seconds:.2f} | {r.commit_seconds:.2f} | "
            f"{r.wal_bytes / 2**20:,.0f} | {r.baseline_seconds:.2f} | "
            f"{r.seconds / r.baseline_seconds:.1f} |"
        )
    ratio, ok = c.median_seconds / c.median_baseline, c.median_seconds <= CLOSURE_TARGET_S
    print(f"| median | | {c.median_seconds:.2f} | | | {c.median_baseline:.2f} | {ratio:.1f} |\n")
    summary.record(
        "#2", f"closure re-timing, {cases:,} open, {c.candidates:,} touched",
        [r.seconds for r in c.runs], "s", f"≤ {CLOSURE_TARGET_S:.0f} s", ok, ratio,
        "`UPDATE` of the same ids",
    )  # fmt: skip
    print(f"{c.median_seconds:.1f} s {summary.verdict(ok)} the target of {CLOSURE_TARGET_S:.0f} s.")


if __name__ == "__main__":
    main()
