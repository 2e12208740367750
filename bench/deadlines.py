"""Due dates per second for a ``30wd`` limit with one supplement pause, in one process.

Run: ``.venv/bin/python bench/deadlines.py``. The baseline, a bare ``received + timedelta(days=42)``
over the same inputs in the same run, makes the figure comparable across machines: compare ratios.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench import summary
from tracker.deadlines.engine import Pause, compute_deadline
from tracker.deadlines.limits import parse_limit
from tracker.deadlines.timezones import TAIPEI
from tracker.deadlines.workcalendar import WorkCalendar

CASES = 20_000
RUNS = 5
TARGET = 50_000  # due dates per second (the brief)


def make_cases() -> list[tuple[datetime, tuple[Pause, ...]]]:
    """Receipts spread over 2026 at varied hours, each with one 2-9 day supplement pause."""
    cases = []
    for i in range(CASES):
        received = datetime(2026, 1, 1, 8, tzinfo=TAIPEI) + timedelta(days=i % 365, minutes=i % 600)
        requested = received + timedelta(days=1 + i % 5)
        arrived = requested + timedelta(days=2 + i % 8, hours=3)
        cases.append((received, (Pause(requested, arrived),)))
    return cases


def rate(loop: Callable[[], object]) -> list[float]:
    """Items per second of ``loop`` (which handles CASES items), for each of RUNS runs."""
    rates = []
    for _ in range(RUNS):
        started = time.perf_counter()
        loop()
        rates.append(CASES / (time.perf_counter() - started))
    return rates


def main() -> None:
    """Measure, then print a markdown table for BENCHMARKS.md."""
    cases = make_cases()
    calendar = WorkCalendar()
    limit = parse_limit("30wd")
    calendar.working_days_between(date(2025, 12, 31), date(2027, 12, 31))  # warm the year cache

    def engine() -> object:
        return [compute_deadline(received, limit, calendar, pauses) for received, pauses in cases]

    def baseline() -> object:
        return [received + timedelta(days=42) for received, _ in cases]

    engine_rates = rate(engine)
    baseline_rates = rate(baseline)
    engine_median = statistics.median(engine_rates)
    baseline_median = statistics.median(baseline_rates)

    print(f"## Deadline engine, {date.today().isoformat()}")
    print()
    print(
        f"- machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"- command: `.venv/bin/python bench/deadlines.py` ({CASES:,} cases x {RUNS} runs)")
    print()
    print("| measure | median /s | min–max /s |")
    print("|---|---:|---:|")
    print(
        f"| `30wd` + one pause | {engine_median:,.0f} | "
        f"{min(engine_rates):,.0f}–{max(engine_rates):,.0f} |"
    )
    print(
        f"| baseline `received + timedelta(days=42)` | {baseline_median:,.0f} | "
        f"{min(baseline_rates):,.0f}–{max(baseline_rates):,.0f} |"
    )
    print(f"| ratio engine / baseline | {engine_median / baseline_median:.3f} | |")
    print()
    verdict = "meets" if engine_median >= TARGET else "MISSES"
    summary.record(
        "#2",
        "due dates per second, `30wd` + one pause, one process",
        engine_rates,
        "/s",
        target=f"≥ {TARGET:,}/s",
        meets=engine_median >= TARGET,
        ratio=engine_median / baseline_median,
        baseline="`received + timedelta(days=42)`",
    )
    print(f"The engine {verdict} the target of {TARGET:,} due dates per second.")


if __name__ == "__main__":
    main()
