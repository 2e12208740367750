"""The workers' figures at a million open cases: the deadline sweep, dispatch, latency, memory.

Run: ``.venv/bin/python bench/workers.py [--cases N]``. Prints a markdown section for
BENCHMARKS.md on stdout; progress goes to stderr.

Two all-open databases on the bench server (see bench/README.md), seeded with bench/seed.py when
missing or seeded otherwise: ``tracker_bench_watch`` with N open cases and
``tracker_bench_watch_small`` with N/10, so the sweep's cost can be shown to follow the cases
due, not the cases open. Dispatch and latency run the real processes (Celery worker and beat, a
private Redis, the Twilio stand-in and an SMTP sink) against the large one. Every figure has a
baseline measured in the same run: compare ratios across machines, not milliseconds.

Before measuring, the script waits (up to ``--wait-quiet`` seconds) for the machine to be quiet
(bench/common.py) and says in the output whether it had to give up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import summary
from bench.common import (
    SeedRecord,
    Watchdog,
    bench_url,
    code_version,
    database_name,
    log,
    machine,
    server_version,
    wait_for_quiet,
)
from bench.seed import ensure_seeded
from bench.workers_dispatch import DispatchFigures, measure_dispatch
from bench.workers_latency import LatencyRun, measure_latency, web_memory
from bench.workers_sweep import SweepFigures, measure_sweep
from config.celery import DISPATCH_EVERY, SWEEP_EVERY
from tracker.db import Database
from workers import jobs

EMPTY_TARGET_MS = 20.0
BUSY_TARGET_S = 3.0
DISPATCH_TARGET = 500.0  # notices per second
LATENCY_TARGET_S = 45.0  # p99


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases (large database)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure")
    parser.add_argument("--due", type=int, default=10_000, help="cases due in the busy tick")
    parser.add_argument("--ticks", type=int, default=200, help="empty ticks per run")
    parser.add_argument("--notices", type=int, default=20_000, help="notices per dispatch run")
    parser.add_argument("--latency-cases", type=int, default=10_000, help="cases due in a minute")
    parser.add_argument("--lead", type=float, default=30.0, help="s from processes up to due")
    parser.add_argument("--wait-quiet", type=float, default=900.0, help="s to wait for quiet")
    parser.add_argument("--reseed", action="store_true", help="seed both databases again")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the workers in one more dispatch run"
    )
    parser.add_argument(
        "--only",
        choices=("sweep", "dispatch", "latency", "memory"),
        action="append",
        help="measure only this (repeatable)",
    )
    args = parser.parse_args()
    only = set(args.only or ("sweep", "dispatch", "latency", "memory"))
    command = " ".join([".venv/bin/python bench/workers.py", *sys.argv[1:]])
    started = time.perf_counter()

    urls = {"large": bench_url("_watch"), "small": bench_url("_watch_small")}
    sizes = {"large": args.cases, "small": args.cases // 10}
    records: dict[str, tuple[SeedRecord, bool]] = {}
    for key in ("large", "small") if "sweep" in only else ("large",):
        n = sizes[key]
        records[key] = ensure_seeded(urls[key], cases=n, open_=n, force=args.reseed)
    quiet = wait_for_quiet(args.wait_quiet)
    log(quiet)

    log_dir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    log(f"process logs in {log_dir}")
    with Watchdog() as watchdog:
        figures = measure(args, only, urls, records, log_dir)
    quiet = f"{quiet}; {watchdog.summary()}"
    report(args, command, urls, records, quiet, figures, started)


@dataclass
class Figures:
    """Everything measured, for the report."""

    sweeps: list[SweepFigures] = field(default_factory=list)
    dispatch: DispatchFigures | None = None
    latency: list[LatencyRun] = field(default_factory=list)
    web: list[tuple[str, int]] = field(default_factory=list)


def measure(
    args: argparse.Namespace,
    only: set[str],
    urls: dict[str, str],
    records: dict[str, tuple[SeedRecord, bool]],
    log_dir: Path,
) -> Figures:
    """Run the chosen measures in order: sweep (both databases), dispatch, latency, memory."""
    figures = Figures()
    if "sweep" in only:
        for key in ("large", "small"):
            db = Database(urls[key])
            try:
                t = datetime.fromisoformat(records[key][0].seeded_at)
                figures.sweeps.append(
                    measure_sweep(db, t, due=args.due, runs=args.runs, ticks=args.ticks)
                )
            finally:
                db.dispose()
    db = Database(urls["large"])
    try:
        if "dispatch" in only:
            figures.dispatch = measure_dispatch(
                db, log_dir, notices=args.notices, runs=args.runs, profile=args.profile
            )
        if "latency" in only:
            figures.latency = measure_latency(
                db, log_dir, cases=args.latency_cases, runs=args.runs, lead=args.lead, spread=60.0
            )
        if "memory" in only:
            figures.web = web_memory(db, log_dir)
    finally:
        db.dispose()
    return figures


def report(
    args: argparse.Namespace,
    command: str,
    urls: dict[str, str],
    records: dict[str, tuple[SeedRecord, bool]],
    quiet: str,
    figures: Figures,
    started: float,
) -> None:
    """The markdown section for BENCHMARKS.md."""
    sweeps, dispatch, latency, web = figures.sweeps, figures.dispatch, figures.latency, figures.web
    print(f"## Workers at {args.cases:,} open cases (PostgreSQL), {date.today().isoformat()}")
    print()
    print(f"- machine: {machine()}; {quiet}")
    print(f"- database: {server_version(urls['large'])}")
    print(f"- command: `{command}` (total {time.perf_counter() - started:,.0f} s)")
    print(f"- code: {code_version()}")
    for key, (record, now) in records.items():
        when = "in this run" if now else f"on {record.seeded_at[:10]}"
        print(
            f"- data: `{database_name(urls[key])}`: {record.cases:,} cases, all open; seeded by "
            f"bench/seed.py {when} in {record.seconds:,.0f} s; its clock T = {record.seeded_at}"
        )
    if sweeps:
        print()
        _sweep_section(args, sweeps)
    if dispatch:
        print()
        _dispatch_section(args, dispatch)
    if latency:
        print()
        _latency_section(args, latency)
    if dispatch or web:
        print()
        _memory_section(dispatch, web)


def _sweep_section(args: argparse.Namespace, sweeps: list[SweepFigures]) -> None:
    large = sweeps[0]
    print("### Deadline sweep tick")
    print()
    print(
        f"`workers.jobs.sweep_deadlines(database, clock)` with a fixed clock, batches of "
        f"{jobs.SWEEP_BATCH:,} committed one by one. In each database exactly {args.due:,} running "
        "cases (not yet overdue, no promise, no open pause, spread over the table) fall due in "
        "(T-60s, T], their watch last run at T-60s; every other open case waits for a trigger "
        "after T. An empty tick has the clock at T-60s, the busy tick at T. Before the runs, "
        "20 empty ticks and the agencies' calendars loaded over this year and the next (as a "
        "running worker has them). Each run: "
        f"{args.ticks} empty ticks, each followed by its baseline, then one busy tick; between "
        "runs (untimed) the swept cases are copied back from a snapshot, the tick's events and "
        "notices deleted, VACUUM ANALYZE, REINDEX notices, CHECKPOINT. Median of "
        f"{len(large.busy)} runs (min–max)."
    )
    print()
    print(
        "| database | open cases | in the watch index | empty tick ms (median of ticks) | "
        "p95 ms | baseline: `SELECT 1` transaction, ms | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for s in sweeps:
        ratio = s.empty_ms / s.empty_baseline_ms
        print(
            f"| `{s.database}` | {s.open_cases:,} | {s.watched:,} | "
            f"{summary.spread([r.median_ms for r in s.empty])} | "
            f"{summary.spread([r.p95_ms for r in s.empty])} | "
            f"{summary.spread([r.baseline_median_ms for r in s.empty])} | {ratio:.1f} |"
        )
    print()
    print(
        "| database | due | busy tick s | notices written | baseline: the same writes set-wise, s "
        "| ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for s in sweeps:
        ratio = s.busy_seconds / s.busy_baseline
        print(
            f"| `{s.database}` | {s.due:,} | {summary.spread([r.seconds for r in s.busy])} | "
            f"{statistics.median(r.notices for r in s.busy):,.0f} | "
            f"{summary.spread([r.baseline_seconds for r in s.busy])} | {ratio:.1f} |"
        )
    print()
    print(
        "Baseline of the busy tick: the case rows, notices and events the tick wrote, copied "
        "aside after it and written again in one transaction of three statements (`UPDATE cases "
        "... FROM`, two `INSERT ... SELECT`): what the database has to do at the least."
    )
    print()
    for s in sweeps:
        empty_verdict = "meets" if s.empty_ms <= EMPTY_TARGET_MS else "MISSES"
        busy_verdict = "meets" if s.busy_seconds <= BUSY_TARGET_S else "MISSES"
        summary.record(
            "#3",
            f"sweep tick, nothing due, {s.open_cases:,} open",
            [r.median_ms for r in s.empty],
            "ms",
            target=f"≤ {EMPTY_TARGET_MS:.0f} ms",
            meets=s.empty_ms <= EMPTY_TARGET_MS,
            ratio=s.empty_ms / s.empty_baseline_ms,
            baseline="`SELECT 1` transaction",
        )
        summary.record(
            "#3",
            f"sweep tick, {s.due:,} newly overdue, {s.open_cases:,} open",
            [r.seconds for r in s.busy],
            "s",
            target=f"≤ {BUSY_TARGET_S:.0f} s",
            meets=s.busy_seconds <= BUSY_TARGET_S,
            ratio=s.busy_seconds / s.busy_baseline,
            baseline="the same writes set-wise",
        )
        print(
            f"- `{s.database}`: empty tick {s.empty_ms:.2f} ms {empty_verdict} the target of "
            f"{EMPTY_TARGET_MS:.0f} ms; busy tick {s.busy_seconds:.2f} s {busy_verdict} the "
            f"target of {BUSY_TARGET_S:.0f} s."
        )
    if len(sweeps) == 2:
        small = sweeps[1]
        print(
            f"- {large.open_cases / small.open_cases:.0f}× the open cases: empty tick "
            f"{large.empty_ms / small.empty_ms:.2f}×, busy tick "
            f"{large.busy_seconds / small.busy_seconds:.2f}× (same {large.due:,} due)."
        )
    print()
    run = sorted(large.busy, key=lambda r: r.seconds)[len(large.busy) // 2]
    rest = run.seconds - run.statements.total_seconds
    print(
        f"Where the median busy tick at `{large.database}` went ({run.seconds:.2f} s; "
        f"handled: {run.handled}; {run.notices:,} notices, {run.events:,} events), client side:"
    )
    print()
    print("| statement | count | seconds |")
    print("|---|---:|---:|")
    for line in run.statements.lines():
        print(line)
    print(f"| Python (ORM, watch rules, notice values) | | {rest:.3f} |")
    print()
    print(
        f"The sweep's select as `sweep_batch` sends it (captured on its way to the driver), "
        f"then `EXPLAIN (ANALYZE, BUFFERS)` of it at `{large.database}` with the clock at T "
        f"({large.due:,} due; the first batch of {jobs.SWEEP_BATCH:,}) and at T-60s (none due):"
    )
    print()
    print("```sql")
    print("\n".join(line.rstrip() for line in large.sql.splitlines()))
    print("```")
    for label, plan in (("clock at T", large.plan_busy), ("clock at T-60s", large.plan_empty)):
        print()
        print(f"{label}:")
        print()
        print("```")
        print("\n".join(plan))
        print("```")
        verdict = "range-scans" if large.uses_index(plan) else "DOES NOT range-scan"
        print()
        print(f"The plan {verdict} the partial index `ix_cases_watch_at`.")


def _dispatch_section(args: argparse.Namespace, d: DispatchFigures) -> None:
    first = d.runs[0]
    print("### Dispatch throughput")
    print()
    print(
        f"{first.notices:,} pending notices per run ({first.sms:,} SMS, "
        f"{first.notices - first.sms:,} email; receipts and overdue notices written by "
        "`tracker.notices.outbox.notice_rows`/`insert_notices` from real cases), sent by one "
        "`celery -A workers worker --concurrency 2 --pool prefork` (two worker processes, "
        "`--loglevel INFO` as in docker-compose) to the Twilio stand-in "
        "(`python -m tests.support.twilio_standin`) and the SMTP sink "
        "(`tests.support.smtp_sink`), each its own process, Redis private. The benchmark sends "
        "`dispatch-notices` to `send-notices` every second until all are sent. Rate: sent "
        "notices / (last `sent_at` − first `claimed_at`). Baseline: the same number of messages "
        "in the same mix with the same texts, through the same clients (`TwilioSms`, "
        "`SmtpEmail`) from two processes of 8 threads each, without the database."
    )
    print()
    print(
        "| run | sent | failed | retries | seconds | notices/s | stand-in accepted | "
        "PostgreSQL sessions opened | baseline msgs/s | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(d.runs, start=1):
        print(
            f"| {i} | {r.sent:,} | {r.failed} | {r.retries} | {r.seconds:.1f} | {r.rate:,.0f} | "
            f"{r.standin_accepted:,} | {r.sessions:,} | {r.baseline_rate:,.0f} | "
            f"{r.rate / r.baseline_rate:.2f} |"
        )
    print(
        f"| median | | | | | {d.rate:,.0f} | | | {d.baseline_rate:,.0f} | "
        f"{d.rate / d.baseline_rate:.2f} |"
    )
    print()
    verdict = "meets" if d.rate >= DISPATCH_TARGET else "MISSES"
    summary.record(
        "#3",
        "dispatch throughput, 2 worker processes, stand-in + SMTP",
        [r.rate for r in d.runs],
        "/s",
        target=f"≥ {DISPATCH_TARGET:,.0f}/s",
        meets=d.rate >= DISPATCH_TARGET,
        ratio=d.rate / d.baseline_rate,
        baseline="the same messages through the clients, no database",
    )
    print(f"{d.rate:,.0f} notices/s {verdict} the target of {DISPATCH_TARGET:,.0f}/s.")
    print()
    print("The claim (`Dispatcher.claim(200)`) as sent, `EXPLAIN (ANALYZE, BUFFERS)`, rolled back:")
    print()
    print("```sql")
    print(d.claim_sql.strip())
    print("```")
    print()
    print("```")
    print("\n".join(d.claim_plan))
    print("```")
    if d.profile:
        print()
        print(
            "Where the workers' CPU went in one more outbox of the same size (not counted), "
            "`py-spy record --subprocesses --nonblocking` over the worker node:"
        )
        print()
        print(d.profile)


def _latency_section(args: argparse.Namespace, runs: list[LatencyRun]) -> None:
    print("### Due instant to provider")
    print()
    print(
        f"{runs[0].cases:,} open cases with a mobile number, told by SMS only, fall due evenly "
        f"within one minute starting {args.lead:.0f} s after the processes are up: one "
        f"`celery worker --concurrency 2`, one `celery beat` (real schedule: sweep every "
        f"{SWEEP_EVERY:g} s, dispatch every {DISPATCH_EVERY:g} s), a private Redis, the stand-in "
        "and the SMTP sink, all started afresh "
        "for each run. Latency: the stand-in's receipt time of the case's overdue SMS minus the "
        f"case's due instant. {runs[0].parked:,} cases the seed left due before the test could "
        "end were parked (watch cleared) for the test and put back after. Seconds."
    )
    print()
    print("| run | SMS matched | p50 | p95 | p99 | max | due→notice p99 | notice→sent p99 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(runs, start=1):
        print(
            f"| {i} | {r.received:,} | {r.pct(r.total, 0.5):.1f} | {r.pct(r.total, 0.95):.1f} | "
            f"{r.pct(r.total, 0.99):.1f} | {max(r.total):.1f} | {r.pct(r.to_notice, 0.99):.1f} | "
            f"{r.pct(r.to_sent, 0.99):.1f} |"
        )
    p99 = [r.pct(r.total, 0.99) for r in runs]
    print(
        "| median (min–max) | | "
        + " | ".join(
            summary.spread(values, ".1f")
            for values in (
                [r.pct(r.total, 0.5) for r in runs],
                [r.pct(r.total, 0.95) for r in runs],
                p99,
                [max(r.total) for r in runs],
            )
        )
        + " | | |"
    )
    print()
    verdict = "meets" if statistics.median(p99) <= LATENCY_TARGET_S else "MISSES"
    due = f"{runs[0].cases:,} due in one minute"
    summary.record(
        "#3", f"due instant to provider, {due}, p50", [r.pct(r.total, 0.5) for r in runs], "s"
    )
    summary.record(
        "#3",
        f"due instant to provider, {due}, p99",
        p99,
        "s",
        target=f"≤ {LATENCY_TARGET_S:.0f} s",
        meets=statistics.median(p99) <= LATENCY_TARGET_S,
    )
    print(
        f"p99 {statistics.median(p99):.1f} s {verdict} the target of {LATENCY_TARGET_S:.0f} s. "
        f"Baseline: the schedule itself allows up to {SWEEP_EVERY:g} s (sweep period) + "
        f"{DISPATCH_EVERY:g} s (dispatch period) "
        "before a due case is even looked at."
    )


def _memory_section(d: DispatchFigures | None, web: list[tuple[str, int]]) -> None:
    print("### Resident memory")
    print()
    print("| process | RSS MiB |")
    print("|---|---:|")
    if d:
        for name, kib in d.worker_rss_kib:
            print(f"| {name}, after the dispatch runs | {kib / 1024:,.0f} |")
        pool = [kib / 1024 for name, kib in d.worker_rss_kib if "pool" in name]
        summary.record("#3", "resident memory, a worker pool process after dispatch", pool, "MiB")
    for name, kib in web:
        print(f"| {name}, idle | {kib / 1024:,.0f} |")
    served = [kib / 1024 for name, kib in web if "master" not in name]
    summary.record("#4", "resident memory, a gunicorn worker, idle", served, "MiB")


if __name__ == "__main__":
    main()
