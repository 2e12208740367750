"""Core figures at a million cases in PostgreSQL: filing, the due-before-T plan, closure re-timing.

Run: ``.venv/bin/python bench/core.py [--cases N]``. Prints a markdown section for BENCHMARKS.md on
stdout; progress goes to stderr.

Two databases on the bench server (see bench/README.md): ``tracker_bench`` with N cases, 30% open,
for filing and the query plan, and ``tracker_bench_closure`` with N cases all open, 10% of them
(at most 100,000) running over the closure day, for the re-timing. Each is seeded with
bench/seed.py when it is missing or was seeded otherwise (``--reseed`` forces it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench import summary
from bench.common import SeedRecord, bench_url, database_name, log, machine, server_version
from bench.core_closure import ClosureFigures, declare_closure, measure_closure
from bench.core_filing import FilingFigures, measure_filing
from bench.core_query import LIMIT, QueryPlan, explain_open_due
from bench.seed import OPEN_SHARE, ensure_seeded
from tracker.db import Database

FILING_TARGET_MS = 20.0  # p95 (the brief)
CLOSURE_TARGET_S = 30.0


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in each database")
    parser.add_argument("--filings", type=int, default=2_000, help="filings per run")
    parser.add_argument("--warmup", type=int, default=300, help="filings before the runs")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure")
    parser.add_argument("--reseed", action="store_true", help="seed both databases again")
    parser.add_argument(
        "--only", choices=("filing", "query", "closure"), action="append", help="measure only this"
    )
    args = parser.parse_args()
    only = set(args.only or ("filing", "query", "closure"))
    started = time.perf_counter()
    command = " ".join([".venv/bin/python bench/core.py", *sys.argv[1:]])

    main_url, all_open_url = bench_url(), bench_url("_closure")
    main_open = round(args.cases * OPEN_SHARE)
    records: dict[str, tuple[SeedRecord, bool]] = {}

    def seeded(url: str, open_: int) -> SeedRecord:
        record, now = ensure_seeded(url, cases=args.cases, open_=open_, force=args.reseed)
        records[database_name(url)] = (record, now)
        return record

    filing: FilingFigures | None = None
    plan: QueryPlan | None = None
    closure: ClosureFigures | None = None
    if only & {"filing", "query"}:
        record = seeded(main_url, main_open)
        db = Database(main_url)
        try:
            if "filing" in only:
                filing = measure_filing(
                    db,
                    filings=args.filings,
                    warmup=args.warmup,
                    runs=args.runs,
                    max_case_id=record.max_case_id,
                )
            if "query" in only:
                plan = explain_open_due(db, datetime.now(UTC))
        finally:
            db.dispose()
    if "closure" in only:
        record = seeded(all_open_url, args.cases)
        db = Database(all_open_url)
        try:
            closure = measure_closure(
                db,
                date.fromisoformat(record.closure_day),
                seeded_at=datetime.fromisoformat(record.seeded_at),
                runs=args.runs,
            )
        finally:
            db.dispose()

    report(args.cases, command, main_url, records, filing, plan, closure, started)


def report(
    cases: int,
    command: str,
    url: str,
    records: dict[str, tuple[SeedRecord, bool]],
    filing: FilingFigures | None,
    plan: QueryPlan | None,
    closure: ClosureFigures | None,
    started: float,
) -> None:
    """The markdown section for BENCHMARKS.md."""
    print(f"## Core figures at {cases:,} cases (PostgreSQL), {date.today().isoformat()}")
    print()
    print(f"- machine: {machine()}")
    print(f"- database: {server_version(url)}")
    print(f"- command: `{command}` (total {time.perf_counter() - started:,.0f} s)")
    for name, (record, now) in records.items():
        when = "in this run" if now else f"on {record.seeded_at[:10]}"
        print(
            f"- data: `{name}`: {record.cases:,} cases, {record.open:,} open, "
            f"{record.touched:,} running over {record.closure_day}; seeded by bench/seed.py "
            f"{when} in {record.seconds:,.0f} s (tracker.cases.bulk_filing: "
            f"{record.rows_per_second:,.0f} cases/s)"
        )
    if filing:
        print()
        _filing_section(cases, filing)
    if plan:
        print()
        _plan_section(plan)
    if closure:
        print()
        _closure_section(cases, closure)


def _filing_section(cases: int, f: FilingFigures) -> None:
    print(f"### Filing a case with {cases:,} cases present")
    print()
    print(
        f"`tracker.cases.filing.file_case` + commit, a new session per filing as a request has: "
        f"{len(f.runs)} runs of {f.filings:,} filings after {f.warmup:,} warm-up filings, each "
        "filing followed by one baseline write, a CHECKPOINT before each run. Median of the "
        "runs' percentiles (min–max), ms."
    )
    print()
    print("| measure | p50 | p95 | p99 |")
    print("|---|---:|---:|---:|")
    for label, runs in (
        ("`file_case` + commit", f.runs),
        ("baseline: one-row INSERT + commit", f.baseline),
    ):
        cells = [summary.spread([getattr(r, p) for r in runs]) for p in ("p50", "p95", "p99")]
        print(f"| {label} | {' | '.join(cells)} |")
    ratios = [
        statistics.median(getattr(r, p) for r in f.runs)
        / statistics.median(getattr(r, p) for r in f.baseline)
        for p in ("p50", "p95", "p99")
    ]
    print(f"| ratio file_case / baseline | {' | '.join(f'{r:.1f}' for r in ratios)} |")
    print()
    p95 = statistics.median(r.p95 for r in f.runs)
    verdict = "meets" if p95 <= FILING_TARGET_MS else "MISSES"
    summary.record(
        "#2",
        f"filing a case with {cases:,} cases, p95 incl. commit",
        [r.p95 for r in f.runs],
        "ms",
        target=f"≤ {FILING_TARGET_MS:.0f} ms",
        meets=p95 <= FILING_TARGET_MS,
        ratio=ratios[1],
        baseline="one-row INSERT + commit, p95",
    )
    print(f"p95 {p95:.1f} ms {verdict} the target of {FILING_TARGET_MS:.0f} ms.")
    print()
    per = f.statements.total_count / f.statement_sample
    print(
        f"Statements per filing ({f.statement_sample} filings sampled after the runs): {per:.1f}; "
        f"{f.statements.total_seconds / f.statement_sample * 1000:.2f} ms of each filing waits "
        "on the database:"
    )
    print()
    print("| statement | count | seconds |")
    print("|---|---:|---:|")
    for line in f.statements.lines():
        print(line)


def _plan_section(plan: QueryPlan) -> None:
    print("### Open cases due before T")
    print()
    print(
        f"`select(Case.id).where(Case.status.in_(OPEN_STATUSES), Case.due_at < t)"
        f".order_by(Case.due_at).limit({LIMIT})`, T = now ({plan.t.isoformat(timespec='seconds')})"
        f"; {plan.open_cases:,} open cases, {plan.open_due_before_t:,} of them due before T. "
        "The SQL as the application sends it, then `EXPLAIN (ANALYZE, BUFFERS)` of it with the "
        "same parameters on the same connection:"
    )
    print()
    print("```sql")
    print("\n".join(line.rstrip() for line in plan.sql.splitlines()))
    print("```")
    print()
    print("```")
    print("\n".join(plan.plan))
    print("```")
    print()
    verdict = "uses" if plan.uses_index else "DOES NOT use"
    print(f"The plan {verdict} `ix_cases_open_due_at`.")
    print()
    print(
        "For the record, the generic plan PostgreSQL would use for this statement once prepared "
        "(`plan_cache_mode = force_generic_plan`); under the default `auto` it keeps custom "
        "plans because this one costs far more:"
    )
    print()
    print("```")
    print("\n".join(plan.generic_plan))
    print("```")
    if not plan.uses_index:
        log("FAILED: the plan does not use ix_cases_open_due_at")
        sys.exit(1)


def _closure_section(cases: int, c: ClosureFigures) -> None:
    print(f"### Closure re-timing with {cases:,} open cases")
    print()
    print(
        f"`{declare_closure.__module__}.declare_closure(session, {c.day}, ...)` + commit, "
        "one transaction; "
        f"{c.candidates:,} open cases run over {c.day}. Each run commits; between runs "
        "(untimed) the changed cases are copied back from a snapshot taken before run 1, the "
        "events, notices and the closure are deleted, the tables VACUUM ANALYZEd and a CHECKPOINT "
        "taken, so every run starts alike. Baseline: "
        "`UPDATE cases SET updated_at = updated_at WHERE id = ANY(ids)` of the same ids, "
        "committed, in the same run."
    )
    print()
    print("| run | re-timed | seconds | of which commit | WAL MiB | baseline s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(c.runs, start=1):
        print(
            f"| {i} | {r.retimed:,} | {r.seconds:.2f} | {r.commit_seconds:.2f} | "
            f"{r.wal_bytes / 2**20:,.0f} | {r.baseline_seconds:.2f} | "
            f"{r.seconds / r.baseline_seconds:.1f} |"
        )
    ratio = c.median_seconds / c.median_baseline
    print(f"| median | | {c.median_seconds:.2f} | | | {c.median_baseline:.2f} | {ratio:.1f} |")
    print()
    verdict = "meets" if c.median_seconds <= CLOSURE_TARGET_S else "MISSES"
    summary.record(
        "#2",
        f"closure re-timing, {cases:,} open, {c.candidates:,} touched",
        [r.seconds for r in c.runs],
        "s",
        target=f"≤ {CLOSURE_TARGET_S:.0f} s",
        meets=c.median_seconds <= CLOSURE_TARGET_S,
        ratio=ratio,
        baseline="`UPDATE` of the same ids",
    )
    print(f"{c.median_seconds:.1f} s {verdict} the target of {CLOSURE_TARGET_S:.0f} s.")
    print()
    run = sorted(c.runs, key=lambda r: r.seconds)[len(c.runs) // 2]
    rest = run.seconds - run.statements.total_seconds - run.commit_seconds
    print(f"Where the median run's {run.seconds:.2f} s went (client side):")
    print()
    print("| statement | count | seconds |")
    print("|---|---:|---:|")
    for line in run.statements.lines():
        print(line)
    print(f"| COMMIT | 1 | {run.commit_seconds:.3f} |")
    print(f"| Python (ORM, deadline engine, building rows) | | {rest:.3f} |")


if __name__ == "__main__":
    main()
