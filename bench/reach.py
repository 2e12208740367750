"""Issue #17's figures: dispatch through 三竹 Mitake and through LINE with two worker processes,
and ``/metrics`` at a million cases.

``.venv/bin/python bench/reach.py [--cases 1000000] [--notices 20000] [--scrapes 300]``. Dispatch
(bench/reach_dispatch.py): ``--notices`` pending notices per channel sent by ``celery -A workers
worker --concurrency 2`` to the channel's stand-in, against the same messages through the same
clients without the database (bench/reach_baseline.py). ``/metrics`` (bench/reach_metrics.py):
the bench's database of ``--cases`` cases, 30% open (bench/seed.py), scraped ``--scrapes`` times
against ``/healthz`` on the same gunicorn. Prints the markdown section for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench import summary
from bench.common import bench_url, database_name, log, machine, server_version
from bench.reach_dispatch import measure_dispatch
from bench.reach_metrics import measure_metrics
from bench.seed import ensure_seeded

DISPATCH_TARGET = 500.0  # notices a second
METRICS_TARGET_MS = 50.0  # p99
OPEN_SHARE = 0.3


def _p99(values: list[float]) -> float:
    return summary.percentile(values, 0.99)


def main() -> None:
    """Measure both, print the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--notices", type=int, default=20_000, help="per channel")
    parser.add_argument("--scrapes", type=int, default=300)
    parser.add_argument("--metrics-database", help="a seeded database instead of the bench's")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    command = " ".join([".venv/bin/python bench/reach.py", *sys.argv[1:]])
    work = Path(tempfile.mkdtemp(prefix="bench-reach-"))
    log(f"reach: logs in {work}")

    dispatch: dict[str, dict[str, float]] = {}
    for channel in ("mitake", "line"):
        log(f"reach: dispatch through {channel}, {args.notices:,} notices")
        found = measure_dispatch(bench_url("_reach"), channel, args.notices, work / channel)
        dispatch[channel] = found
        ok = found["rate"] >= DISPATCH_TARGET
        summary.record(
            "#17",
            f"dispatch through {channel}, 2 worker processes, stand-in",
            [found["rate"]],
            "/s",
            target=f"≥ {DISPATCH_TARGET:,.0f}/s",
            meets=ok,
            ratio=found["rate"] / found["baseline"],
            baseline="the same messages through the clients, no database",
        )

    url = args.metrics_database or bench_url()
    if args.metrics_database is None:
        ensure_seeded(url, cases=args.cases, open_=round(args.cases * OPEN_SHARE),
                      force=args.reseed)  # fmt: skip
    log(f"reach: /metrics on {database_name(url)}, {args.scrapes} scrapes")
    metrics = measure_metrics(url, args.scrapes, 200_000, work / "metrics")
    scraped: list[float] = metrics["metrics_ms"]  # type: ignore[assignment]
    floor: list[float] = metrics["healthz_ms"]  # type: ignore[assignment]
    p99 = _p99(scraped)
    summary.record(
        "#17",
        f"/metrics p99, {args.cases:,} cases",
        [p99],
        "ms",
        target=f"≤ {METRICS_TARGET_MS:.0f} ms",
        meets=p99 <= METRICS_TARGET_MS,
        ratio=statistics.median(scraped) / statistics.median(floor),
        baseline="`GET /healthz` on the same gunicorn (medians)",
    )

    print(f"## Reach: Mitake and LINE dispatch, /metrics, {date.today().isoformat()}")
    print()
    print(f"- machine: {machine()}")
    print(f"- database: {server_version(url)}")
    print(f"- command: `{command}` (total {time.perf_counter() - began:,.0f} s)")
    print()
    print("| channel | notices | dispatch /s | clients alone /s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for channel, found in dispatch.items():
        print(
            f"| {channel} | {found['sent']:,.0f} | {found['rate']:,.0f} | "
            f"{found['baseline']:,.0f} | {found['rate'] / found['baseline']:.2f} |"
        )
    print()
    print(
        f"`/metrics` on `{database_name(url)}` ({metrics['open']:,} open cases): p50 "
        f"{statistics.median(scraped):.1f} ms, **p99 {p99:.1f} ms** over {args.scrapes} scrapes "
        f"({'meets' if p99 <= METRICS_TARGET_MS else 'MISSES'} ≤ {METRICS_TARGET_MS:.0f} ms); "
        f"`/healthz` p50 {statistics.median(floor):.1f} ms, p99 {_p99(floor):.1f} ms. The "
        f"gauges read at a scrape: {metrics['read_ms']:.1f} ms; the sweep's count of the open "
        f"and overdue cases, once a minute: {metrics['count_ms']:.0f} ms."
    )


if __name__ == "__main__":
    main()
