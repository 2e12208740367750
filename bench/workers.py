"""The workers' figures at a million open cases: the deadline sweep, dispatch, latency, memory.

Run: ``.venv/bin/python bench/workers.py [--cases N]``. Two all-open databases (bench/README.md),
seeded when missing or stale: ``tracker_bench_watch`` with N open cases and
``tracker_bench_watch_small`` with N/10, so the sweep's cost can be shown to follow the cases
due, not the cases open. Dispatch and latency run the real processes (bench/sending.py) against
the large one. Every figure has a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import summary
from bench.common import (
    bench_url,
    database,
    database_name,
    header,
    log,
    seeded_line,
    wait_for_quiet,
)
from bench.seed import ensure_seeded
from bench.workers_dispatch import DispatchFigures, measure_dispatch
from bench.workers_latency import LatencyRun, measure_latency, web_memory
from bench.workers_sweep import SweepFigures, measure_sweep
from config.celery import DISPATCH_EVERY, SWEEP_EVERY
from workers import jobs

EMPTY_TARGET_MS = 20.0
BUSY_TARGET_S = 3.0
DISPATCH_TARGET = 500.0  # notices per second
LATENCY_TARGET_S = 45.0  # p99
MEASURES = ("sweep", "dispatch", "latency", "memory")


@dataclass
class Figures:
    """Everything measured, for the report."""

    sweeps: list[SweepFigures] = field(default_factory=list)
    dispatch: DispatchFigures | None = None
    latency: list[LatencyRun] = field(default_factory=list)
    web: list[tuple[str, int]] = field(default_factory=list)


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
    parser.add_argument("--only", choices=MEASURES, action="append", help="only this (repeatable)")
    args = parser.parse_args()
    only = set(args.only or MEASURES)
    started = time.perf_counter()
    urls = {"large": bench_url("_watch"), "small": bench_url("_watch_small")}
    sizes = {"large": args.cases, "small": args.cases // 10}
    records = {
        key: ensure_seeded(urls[key], cases=sizes[key], open_=sizes[key], force=args.reseed)
        for key in (("large", "small") if "sweep" in only else ("large",))
    }
    quiet = wait_for_quiet(args.wait_quiet)
    log(quiet)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    log(f"process logs in {log_dir}")
    f = Figures()
    for key in ("large", "small") if "sweep" in only else ():
        with database(urls[key]) as db:
            t = datetime.fromisoformat(records[key][0].seeded_at)
            f.sweeps.append(measure_sweep(db, t, due=args.due, runs=args.runs, ticks=args.ticks))
    with database(urls["large"]) as db:
        if "dispatch" in only:
            f.dispatch = measure_dispatch(db, log_dir, notices=args.notices, runs=args.runs)
        if "latency" in only:
            f.latency = measure_latency(
                db, log_dir, cases=args.latency_cases, runs=args.runs, lead=args.lead, spread=60.0
            )
        if "memory" in only:
            f.web = web_memory(db, log_dir)

    data = [seeded_line(database_name(urls[k]), r, now) for k, (r, now) in records.items()]
    header(f"Workers at {args.cases:,} open cases (PostgreSQL)", started, url=urls["large"],
           quiet=quiet, data=data)  # fmt: skip
    if f.sweeps:
        _sweep_section(args, f.sweeps)
    if f.dispatch:
        _dispatch_section(f.dispatch)
    if f.latency:
        _latency_section(args, f.latency)
    if f.dispatch or f.web:
        _memory_section(f.dispatch, f.web)


def _sweep_section(args: argparse.Namespace, sweeps: list[SweepFigures]) -> None:
    large = sweeps[0]
    print(
        "\n### Deadline sweep tick\n\n"
        f"`workers.jobs.sweep_deadlines(database, clock)` with a fixed clock, batches of "
        f"{jobs.SWEEP_BATCH:,} committed one by one. In each database exactly {args.due:,} running "
        "cases (not yet overdue, no promise, no open pause, spread over the table) fall due in "
        "(T-60s, T], their watch last run at T-60s; every other open case waits for a trigger "
        "after T. An empty tick has the clock at T-60s, the busy tick at T. Before the runs, "
        "20 empty ticks and the agencies' calendars loaded over this year and the next (as a "
        f"running worker has them). Each run: {args.ticks} empty ticks, each followed by its "
        "baseline, then one busy tick; between runs (untimed) the swept cases are copied back "
        "from a snapshot, the tick's events and notices deleted, VACUUM ANALYZE, REINDEX "
        f"notices, CHECKPOINT. Median of {len(large.busy)} runs (min–max).\n\n"
        "| database | open cases | in the watch index | empty tick ms (median of ticks) | "
        "p95 ms | baseline: `SELECT 1` transaction, ms | ratio |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    for s in sweeps:
        print(
            f"| `{s.database}` | {s.open_cases:,} | {s.watched:,} | "
            f"{summary.spread([r.median_ms for r in s.empty])} | "
            f"{summary.spread([r.p95_ms for r in s.empty])} | "
            f"{summary.spread([r.baseline_median_ms for r in s.empty])} | "
            f"{s.empty_ms / s.empty_baseline_ms:.1f} |"
        )
    print(
        "\n| database | due | busy tick s | notices written | baseline: the same writes "
        "set-wise, s | ratio |\n|---|---:|---:|---:|---:|---:|"
    )
    for s in sweeps:
        print(
            f"| `{s.database}` | {s.due:,} | {summary.spread([r.seconds for r in s.busy])} | "
            f"{statistics.median(r.notices for r in s.busy):,.0f} | "
            f"{summary.spread([r.baseline_seconds for r in s.busy])} | "
            f"{s.busy_seconds / s.busy_baseline:.1f} |"
        )
    print(
        "\nBaseline of the busy tick: the case rows, notices and events the tick wrote, copied "
        "aside after it and written again in one transaction of three statements (`UPDATE cases "
        "... FROM`, two `INSERT ... SELECT`): what the database has to do at the least.\n"
    )
    for s in sweeps:
        empty_ok, busy_ok = s.empty_ms <= EMPTY_TARGET_MS, s.busy_seconds <= BUSY_TARGET_S
        summary.record(
            "#3", f"sweep tick, nothing due, {s.open_cases:,} open", [r.median_ms for r in s.empty],
            "ms", f"≤ {EMPTY_TARGET_MS:.0f} ms", empty_ok, s.empty_ms / s.empty_baseline_ms,
            "`SELECT 1` transaction",
        )  # fmt: skip
        summary.record(
            "#3", f"sweep tick, {s.due:,} newly overdue, {s.open_cases:,} open",
            [r.seconds for r in s.busy], "s", f"≤ {BUSY_TARGET_S:.0f} s", busy_ok,
            s.busy_seconds / s.busy_baseline, "the same writes set-wise",
        )  # fmt: skip
        print(
            f"- `{s.database}`: empty tick {s.empty_ms:.2f} ms {summary.verdict(empty_ok)} the "
            f"target of {EMPTY_TARGET_MS:.0f} ms; busy tick {s.busy_seconds:.2f} s "
            f"{summary.verdict(busy_ok)} the target of {BUSY_TARGET_S:.0f} s."
        )
    if len(sweeps) == 2:
        small = sweeps[1]
        print(
            f"- {large.open_cases / small.open_cases:.0f}× the open cases: empty tick "
            f"{large.empty_ms / small.empty_ms:.2f}×, busy tick "
            f"{large.busy_seconds / small.busy_seconds:.2f}× (same {large.due:,} due)."
        )
    print(
        f"\nThe sweep's select as `sweep_batch` sends it (captured on its way to the driver), "
        f"then `EXPLAIN (ANALYZE, BUFFERS)` of it at `{large.database}` with the clock at T "
        f"({large.due:,} due; the first batch of {jobs.SWEEP_BATCH:,}) and at T-60s (none due):"
        "\n\n```sql\n" + "\n".join(line.rstrip() for line in large.sql.splitlines()) + "\n```"
    )
    for label, plan in (("clock at T", large.plan_busy), ("clock at T-60s", large.plan_empty)):
        scans = "range-scans" if large.uses_index(plan) else "DOES NOT range-scan"
        print(f"\n{label}:\n\n```\n" + "\n".join(plan) + "\n```\n")
        print(f"The plan {scans} the partial index `ix_cases_watch_at`.")


def _dispatch_section(d: DispatchFigures) -> None:
    first = d.runs[0]
    print(
        f"\n### Dispatch throughput\n\n{first.notices:,} pending notices per run ({first.sms:,} "
        f"SMS, {first.notices - first.sms:,} email; receipts and overdue notices written by "
        "`tracker.notices.outbox.notice_rows`/`insert_notices` from real cases), sent by one "
        "`celery -A workers worker --concurrency 2 --pool prefork` (two worker processes, "
        "`--loglevel INFO` as in docker-compose) to the Twilio stand-in "
        "(`python -m tests.support.twilio_standin`) and the SMTP sink "
        "(`tests.support.smtp_sink`), each its own process, Redis private. The benchmark sends "
        "`dispatch-notices` to `send-notices` every second until all are sent. Rate: sent "
        "notices / (last `sent_at` − first `claimed_at`). Baseline: the same number of messages "
        "in the same mix with the same texts, through the same clients (`TwilioSms`, "
        "`SmtpEmail`) from two processes of 8 threads each, without the database.\n\n"
        "| run | sent | failed | retries | notices/s | stand-in accepted | "
        "PostgreSQL sessions opened | baseline msgs/s | ratio |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for i, r in enumerate(d.runs, start=1):
        c = r.counts
        print(
            f"| {i} | {c['sent']:,} | {c['failed']} | {c['retries']} | {r.rate:,.0f} | "
            f"{r.standin_accepted:,} | {c['sessions']:,} | {r.baseline_rate:,.0f} | "
            f"{r.rate / r.baseline_rate:.2f} |"
        )
    ratio, ok = d.rate / d.baseline_rate, d.rate >= DISPATCH_TARGET
    print(f"| median | | | | {d.rate:,.0f} | | | {d.baseline_rate:,.0f} | {ratio:.2f} |\n")
    summary.record(
        "#3", "dispatch throughput, 2 worker processes, stand-in + SMTP", [r.rate for r in d.runs],
        "/s", f"≥ {DISPATCH_TARGET:,.0f}/s", ok, ratio,
        "the same messages through the clients, no database",
    )  # fmt: skip
    print(f"{d.rate:,.0f} notices/s {summary.verdict(ok)} the target of {DISPATCH_TARGET:,.0f}/s.")


def _latency_section(args: argparse.Namespace, runs: list[LatencyRun]) -> None:
    print(
        f"\n### Due instant to provider\n\n{runs[0].cases:,} open cases with a mobile number, "
        f"told by SMS only, fall due evenly within one minute starting {args.lead:.0f} s after "
        f"the processes are up: one `celery worker --concurrency 2`, one `celery beat` (real "
        f"schedule: sweep every {SWEEP_EVERY:g} s, dispatch every {DISPATCH_EVERY:g} s), a "
        "private Redis, the stand-in and the SMTP sink, all started afresh for each run. "
        "Latency: the stand-in's receipt time of the case's overdue SMS minus the case's due "
        f"instant. {runs[0].parked:,} cases the seed left due before the test could end were "
        "parked (watch cleared) for the test and put back after. Seconds.\n\n"
        "| run | SMS matched | p50 | p95 | p99 | max | due→notice p99 | notice→sent p99 |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    pct = summary.percentile
    for i, r in enumerate(runs, start=1):
        print(
            f"| {i} | {r.received:,} | {pct(r.total, 0.5):.1f} | {pct(r.total, 0.95):.1f} | "
            f"{pct(r.total, 0.99):.1f} | {max(r.total):.1f} | {pct(r.to_notice, 0.99):.1f} | "
            f"{pct(r.to_sent, 0.99):.1f} |"
        )
    p50, p99 = [pct(r.total, 0.5) for r in runs], [pct(r.total, 0.99) for r in runs]
    columns = (p50, [pct(r.total, 0.95) for r in runs], p99, [max(r.total) for r in runs])
    cells = " | ".join(summary.spread(values, ".1f") for values in columns)
    print(f"| median (min–max) | | {cells} | | |\n")
    ok = statistics.median(p99) <= LATENCY_TARGET_S
    due = f"{runs[0].cases:,} due in one minute"
    summary.record("#3", f"due instant to provider, {due}, p50", p50, "s")
    summary.record(
        "#3", f"due instant to provider, {due}, p99", p99, "s", f"≤ {LATENCY_TARGET_S:.0f} s", ok
    )
    print(
        f"p99 {statistics.median(p99):.1f} s {summary.verdict(ok)} the target of "
        f"{LATENCY_TARGET_S:.0f} s. Baseline: the schedule itself allows up to {SWEEP_EVERY:g} s "
        f"(sweep period) + {DISPATCH_EVERY:g} s (dispatch period) before a due case is even "
        "looked at."
    )


def _memory_section(d: DispatchFigures | None, web: list[tuple[str, int]]) -> None:
    print("\n### Resident memory\n\n| process | RSS MiB |\n|---|---:|")
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
