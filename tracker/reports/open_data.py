"""Open data: the monthly figures per service as published, small counts suppressed.

A count of 1 or 2 could point at a person (the one applicant for a rare service in a month), so
it is published empty. Suppression must also survive arithmetic within the file: the published
counts nest (received ⊇ completed ⊇ completed on time), so a hidden cell could be recovered from
its neighbours, and a small *difference* of two published counts (received 10, completed 9: one
case not completed) would disclose as much as a small count. Hence, per row:

- received hidden when it is 1 or 2, and with it every other figure of the row;
- completed hidden when it, or received minus completed, is 1 or 2 (and so everything nested in
  it: completed on time, the on-time rate, the working-day percentiles);
- completed on time hidden when it, or completed minus it, is 1 or 2; the rate with it;
- open and overdue, and extended, hidden when 1 or 2 (no published figure adds up to them);
- the working-day median and 90th percentile hidden when fewer than 3 cases are behind them.

No totals across services or months are published in the same file, so no hidden cell can be
recovered from a sum either. Zero is published: it says nobody, about nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.reports.catalogue import StatisticsCatalogue
from tracker.reports.statistics import Figures, Row

SUPPRESS_BELOW = 3

# Field names in publishing order (JSON keys; the CSV's zh-TW headers are in the web layer).
FIELDS = (
    "month",
    "agency_code",
    "agency_name_zh",
    "agency_name_en",
    "department_code",
    "department_name_zh",
    "department_name_en",
    "service_code",
    "service_name_zh",
    "service_name_en",
    "kind",
    "time_limit",
    "received",
    "completed",
    "completed_on_time",
    "on_time_rate",
    "open_overdue",
    "extended",
    "median_working_days",
    "p90_working_days",
)
FIGURE_FIELDS = FIELDS[FIELDS.index("received") :]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _small(count: int) -> bool:
    return 0 < count < SUPPRESS_BELOW


@dataclass(frozen=True)
class Published:
    """One row as published, and which of its figures were suppressed."""

    values: dict[str, Any]
    suppressed: tuple[str, ...]


def published_figures(f: Figures) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The row's figures with small counts (and what would reveal them) set to None."""
    hide_received = _small(f.received)
    hide_completed = hide_received or _small(f.completed) or _small(f.received - f.completed)
    hide_on_time = (
        hide_completed or _small(f.completed_on_time) or _small(f.completed - f.completed_on_time)
    )
    hide_days = hide_completed or _small(f.timed)
    rate = round(f.completed_on_time / f.completed, 4) if f.completed else None
    figures: dict[str, tuple[Any, bool]] = {
        "received": (f.received, hide_received),
        "completed": (f.completed, hide_completed),
        "completed_on_time": (f.completed_on_time, hide_on_time),
        "on_time_rate": (rate, hide_on_time),
        "open_overdue": (f.open_overdue, hide_received or _small(f.open_overdue)),
        "extended": (f.extended, hide_received or _small(f.extended)),
        "median_working_days": (_rounded(f.median_days), hide_days),
        "p90_working_days": (_rounded(f.p90_days), hide_days),
    }
    values = {name: None if hidden else value for name, (value, hidden) in figures.items()}
    return values, tuple(name for name, (_, hidden) in figures.items() if hidden)


def published_rows(rows: list[Row], catalogue: StatisticsCatalogue) -> list[Published]:
    """Service-and-month rows of the statistics as published, in month and service order."""
    found = []
    for row in rows:
        assert row.key is not None and row.month is not None  # service-and-month rows only
        service = catalogue.services[row.key]
        department = catalogue.departments[service.department_id]
        agency = catalogue.agencies[department.agency_id]
        figures, suppressed = published_figures(row.figures)
        values = {
            "month": row.month,
            "agency_code": agency.code,
            "agency_name_zh": agency.name.get("zh-TW", ""),
            "agency_name_en": agency.name.get("en", ""),
            "department_code": department.code,
            "department_name_zh": department.name.get("zh-TW", ""),
            "department_name_en": department.name.get("en", ""),
            "service_code": service.code,
            "service_name_zh": service.name.get("zh-TW", ""),
            "service_name_en": service.name.get("en", ""),
            "kind": service.kind,
            "time_limit": service.time_limit,
            **figures,
        }
        found.append(Published(values, suppressed))
    return sorted(found, key=lambda p: (p.values["month"], p.values["service_code"]))
