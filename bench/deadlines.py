"""Due dates per second for a ``30wd`` limit with one supplement pause, in one process.

Run: ``.venv/bin/python bench/deadlines.py``. The baseline, a bare ``received + timedelta(days=42)``
over the same inputs in the same run, makes the figure comparable across machines: compare ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import summary
from bench.common import header
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
    started = time.perf_counter()
    cases = make_cases()
    calendar = WorkCalendar()
    limit = parse_limit("30wd")
    calendar.working_days_between(date(2025, 12, 31), date(2027, 12, 31))  # warm the year cache

    def engine() -> object:
        return [compute_deadline(received, limit, calendar, pauses) for received, pauses in cases]

    def baseline() -> object:
        return [received + timedelta(days=42) for received, _ in cases]

    engine_rates, baseline_rates = rate(engine), rate(baseline)
    engine_median = statistics.median(engine_rates)
    ratio = engine_median / statistics.median(baseline_rates)
    ok = engine_median >= TARGET
    header("Deadline engine", started, data=[f"{CASES:,} cases x {RUNS} runs, no database"])
    print("\n| measure | median (min–max) /s |\n|---|---:|")
    print(f"| `30wd` + one pause | {summary.spread(engine_rates, ',.0f')} |")
    print(
        f"| baseline `received + timedelta(days=42)` | {summary.spread(baseline_rates, ',.0f')} |"
    )
    print(f"| ratio engine / baseline | {ratio:.3f} |\n")
    summary.record(
        "#2", "due dates per second, `30wd` + one pause, one process", engine_rates, "/s",
        f"≥ {TARGET:,}/s", ok, ratio, "`received + timedelta(days=42)`",
    )  # fmt: skip
    print(f"The engine {summary.verdict(ok)} the target of {TARGET:,} due dates per second.")


if __name__ == "__main__":
    main()
