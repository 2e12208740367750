"""The headline figures of a benchmark script, for the summary table that ``bench/run`` writes.

Each script prints its markdown section on stdout and, when ``BENCH_SUMMARY`` names a file,
also appends one JSON line per headline figure to it: the runs' values (so the table can show the
median and its min–max), the target and whether the median meets it, and the ratio to the
baseline measured in the same run. Run alone, a script writes no summary.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

SUMMARY_ENV = "BENCH_SUMMARY"


@dataclass(frozen=True)
class Figure:
    """One headline figure: the runs' values and how they compare with the target."""

    issue: str  # "#3"
    name: str  # "sweep tick, nothing due, 1,000,000 open"
    unit: str  # "ms", "s", "/s", "%", "MiB"
    values: tuple[float, ...]  # one per run
    target: str  # "≤ 20 ms", or "—"
    meets: bool | None  # None where there is no target
    ratio: float | None = None  # median against the same run's baseline
    baseline: str = ""  # what the ratio is against

    @property
    def median(self) -> float:
        """The median of the runs."""
        return statistics.median(self.values)


def record(
    issue: str,
    name: str,
    values: Sequence[float],
    unit: str,
    target: str = "—",
    meets: bool | None = None,
    ratio: float | None = None,
    baseline: str = "",
) -> None:
    """Append the figure to the summary file, if ``bench/run`` asked for one (``target``: the
    target's text, ``meets``: whether the median meets it, ``ratio``: median / ``baseline``)."""
    path = os.environ.get(SUMMARY_ENV)
    if not path or not values:
        return
    figure = Figure(
        issue, name, unit, tuple(float(v) for v in values), target, meets, ratio, baseline
    )
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(figure), ensure_ascii=False) + "\n")


def read(path: Path) -> list[Figure]:
    """The figures a script wrote to ``path`` (none if it wrote nothing)."""
    if not path.exists():
        return []
    figures = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            data["values"] = tuple(data["values"])
            figures.append(Figure(**data))
    return figures


def spread(values: Sequence[float], fmt: str = ".2f") -> str:
    """``median (min–max)`` of the runs, each formatted with ``fmt``."""
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def verdict(meets: bool) -> str:
    """``meets`` or ``MISSES``, for a section's sentence."""
    return "meets" if meets else "MISSES"
