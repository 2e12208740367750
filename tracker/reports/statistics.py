"""Case statistics per month, service, department and agency: one module for reports and open data.

Figures follow the cases **received** in each month (a cohort): "of the cases received in March,
how many were completed, how many on time, how many are still open and overdue now". A cohort's
figures settle as its cases close; every figure is computed as of ``now``.

Counting happens in the database: a GROUP BY on the cases alone (no join), at the finest level:
service, handling department, month, and the working days used as one more key (on PostgreSQL one
GROUP BY per month, so that its parallel workers share them). The few thousand grouped rows are then
added up here to every level (per service and month, per service, department, agency, month and for
everything, each apart for applications and petitions), and the median and 90th percentile are taken
over the grouped value counts, exactly as ``percentile_cont`` would. Measured at 1,000,000 cases
(bench/web_reports.py), this beat one PostgreSQL statement with GROUPING SETS and
``percentile_cont`` by a factor of about three: ordered-set aggregates force a sort per grouping
set, where a plain GROUP BY hashes once. The same code serves SQLite, which has neither.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    func,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from tracker.deadlines.timezones import start_of_local_day
from tracker.lifecycle import OPEN_STATUSES, CaseStatus
from tracker.models import Case, Department, Service

MAX_MONTHS = 36  # a report covers at most three years: enough for any trend, bounded in cost


class Level(StrEnum):
    """What a row of figures adds up, always for one kind of service (application, petition)."""

    SERVICE_MONTH = "service_month"
    SERVICE = "service"
    DEPARTMENT = "department"
    AGENCY = "agency"
    MONTH = "month"
    ALL = "all"


@dataclass(frozen=True)
class Period:
    """Whole months, from ``first`` to ``last`` inclusive (both the 1st of their month)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1:
            raise ValueError("a period runs from the 1st of a month to the 1st of a month")
        if self.last < self.first:
            raise ValueError("the last month comes before the first")
        if len(self.months) > MAX_MONTHS:
            raise ValueError(f"a period covers at most {MAX_MONTHS} months")

    @classmethod
    def of_months(cls, first: str, last: str) -> Period:
        """The period from ``YYYY-MM`` to ``YYYY-MM``."""
        return cls(_month_start(first), _month_start(last))

    @property
    def months(self) -> list[str]:
        """Every month in the period as ``YYYY-MM``."""
        found, month = [], self.first
        while month <= self.last:
            found.append(month.strftime("%Y-%m"))
            month = next_month(month)
        return found

    @property
    def start(self) -> datetime:
        """00:00 Asia/Taipei on the first day (UTC)."""
        return start_of_local_day(self.first)

    @property
    def end(self) -> datetime:
        """00:00 Asia/Taipei on the day after the last month (UTC), exclusive."""
        return start_of_local_day(next_month(self.last))

    @property
    def bounds(self) -> list[datetime]:
        """The first instant of every month (UTC), then ``end``."""
        return [start_of_local_day(date.fromisoformat(f"{m}-01")) for m in self.months] + [self.end]


@dataclass(frozen=True)
class Scope:
    """Which cases: every agency, or one agency, department or service (None: all)."""

    agency_id: int | None = None
    department_id: int | None = None
    service_id: int | None = None


@dataclass
class Figures:
    """The counts of one group of cases, and the spread of the working days they used."""

    received: int = 0
    completed: int = 0
    completed_on_time: int = 0
    rejected: int = 0
    withdrawn: int = 0
    not_handled: int = 0
    transferred: int = 0
    open: int = 0
    open_overdue: int = 0
    extended: int = 0
    # Completed cases whose working days are known (closed after migration 0005).
    timed: int = 0
    paused_cases: int = 0  # completed cases that waited for the applicant's documents
    paused_days: int = 0  # calendar days they waited, added up
    median_days: float | None = None
    p90_days: float | None = None

    @property
    def completed_late(self) -> int:
        """Completed after the due instant."""
        return self.completed - self.completed_on_time

    @property
    def missed(self) -> int:
        """Cases that missed their limit: completed late, or open and overdue now."""
        return self.completed_late + self.open_overdue

    @property
    def on_time_rate(self) -> float | None:
        """Completed on time as a share of completed (None when nothing was completed)."""
        return self.completed_on_time / self.completed if self.completed else None

    @property
    def mean_paused_days(self) -> float | None:
        """Average days a paused case waited for documents."""
        return self.paused_days / self.paused_cases if self.paused_cases else None


_COUNTS = [f.name for f in fields(Figures) if f.type in ("int", int)]
_TIMED = _COUNTS.index("timed")


@dataclass(frozen=True)
class Row:
    """One group's figures: its level, kind, key (service, department or agency id), month."""

    level: Level
    kind: str
    key: int | None
    month: str | None
    figures: Figures


@dataclass
class CaseStatistics:
    """Every row of a period and scope, with lookups by level."""

    rows: list[Row] = field(default_factory=list)

    def at(self, level: Level, kind: str | None = None) -> list[Row]:
        """The rows of one level (and kind), in a stable order."""
        found = [r for r in self.rows if r.level == level and (kind is None or r.kind == kind)]
        return sorted(found, key=lambda r: (r.kind, r.key or 0, r.month or ""))

    def kinds(self) -> list[str]:
        """The kinds of service that had cases: applications first, then petitions."""
        return sorted({r.kind for r in self.rows}, key=lambda k: (k != "application", k))


def case_statistics(
    session: Session, period: Period, scope: Scope, now: datetime
) -> CaseStatistics:
    """The figures of the cases received in ``period`` within ``scope``, as of ``now``."""
    dialect = session.get_bind().dialect.name
    kinds: dict[int, str] = dict(session.execute(select(Service.id, Service.kind)).all())
    agencies: dict[int, int] = dict(
        session.execute(select(Department.id, Department.agency_id)).all()
    )
    postgres = dialect == "postgresql"
    if postgres:
        # This transaction only. The planner costs a year of cases high enough to JIT-compile
        # the statement, which costs more than running it; and it expects nearly one group per
        # case (it multiplies the keys' distinct counts), so it would sort every row where
        # hashing into a few thousand groups is cheaper.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL enable_sort = off"))
    result = session.execute(finest_groups_statement(period, scope, now, dialect)).all()
    if postgres:
        session.execute(text("SET LOCAL enable_sort = on"))
    return CaseStatistics(_rolled_up_rows(result, period.months, kinds, agencies))


# -- the statement -----------------------------------------------------------------------------

COMPLETED = Case.status == CaseStatus.COMPLETED
OPEN = Case.status.in_(sorted(OPEN_STATUSES))


def _measures(now: datetime) -> list[ColumnElement[Any]]:
    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count().filter(condition)

    return [
        func.count().label("received"),
        count(COMPLETED).label("completed"),
        count(and_(COMPLETED, Case.closed_at < Case.due_at)).label("completed_on_time"),
        count(Case.status == CaseStatus.REJECTED).label("rejected"),
        count(Case.status == CaseStatus.WITHDRAWN).label("withdrawn"),
        count(Case.status == CaseStatus.NOT_HANDLED).label("not_handled"),
        count(Case.status == CaseStatus.TRANSFERRED).label("transferred"),
        count(OPEN).label("open"),
        count(and_(OPEN, Case.due_at <= now)).label("open_overdue"),
        count(Case.extension.is_not(None)).label("extended"),
        count(and_(COMPLETED, Case.working_days_used.is_not(None))).label("timed"),
        count(and_(COMPLETED, Case.paused_days > 0)).label("paused_cases"),
        func.coalesce(func.sum(case((COMPLETED, Case.paused_days))), 0).label("paused_days"),
    ]


def within(stmt: Select[Any], period: Period, scope: Scope) -> Select[Any]:
    """``stmt`` (over cases_select) limited to the cases received in the period, in the scope."""
    return in_scope(
        stmt.where(Case.received_at >= period.start, Case.received_at < period.end), scope
    )


def in_scope(stmt: Select[Any], scope: Scope) -> Select[Any]:
    """``stmt`` (over cases_select) limited to the cases of the scope."""
    if scope.agency_id is not None:
        # A sub-select rather than a join: the statement then reads the cases alone.
        agency = select(Department.id).where(Department.agency_id == scope.agency_id)
        stmt = stmt.where(Case.department_id.in_(agency.scalar_subquery()))
    if scope.department_id is not None:
        stmt = stmt.where(Case.department_id == scope.department_id)
    if scope.service_id is not None:
        stmt = stmt.where(Case.service_id == scope.service_id)
    return stmt


def cases_select(*columns: Any) -> Select[Any]:
    """SELECT ``columns`` FROM cases (kinds and agencies are looked up from the few ids)."""
    return select(*columns).select_from(Case)


def finest_groups_statement(
    period: Period, scope: Scope, now: datetime, dialect: str = "sqlite"
) -> Select[Any] | CompoundSelect:
    """The finest groups: service, department, month and working days used (no percentiles).

    The month comes back as ``YYYY-MM`` on SQLite and as its 1-based position in the period on
    PostgreSQL, where the statement is one GROUP BY per month joined by UNION ALL. PostgreSQL
    hands those to its parallel workers (a Parallel Append, each month an index-only scan of its
    range of ix_cases_received_at), so both cores count; and each month's key is a constant. As
    one GROUP BY over the year, the planner expects about one group per case (it multiplies the
    keys' distinct counts) and never aggregates in parallel (BENCHMARKS.md, the reports page).
    """
    days = case((COMPLETED, Case.working_days_used)).label("days")
    keys = (Case.service_id, Case.department_id)
    # The counts in Figures' order: the rows are read by position (_rolled_up_rows).
    measures = {measure.name: measure for measure in _measures(now)}
    counts = [measures[name] for name in _COUNTS]
    if dialect != "postgresql":
        # Taiwan has kept UTC+8 without daylight saving since 1980: "+8 hours" is exact.
        month = literal_column("strftime('%Y-%m', cases.received_at, '+8 hours')").label("month")
        # GROUP BY the output names: the same expressions, without repeating them.
        stmt = cases_select(*keys, month, days, *counts)
        stmt = stmt.group_by(*keys, literal_column("month"), literal_column("days"))
        return within(stmt, period, scope)

    def one_month(position: int) -> Select[Any]:
        # The position is ours, an int: inline, so that the month is a constant of the plan.
        month = literal_column(str(position)).label("month")
        return cases_select(*keys, month, days, *counts).group_by(*keys, literal_column("days"))

    return month_by_month(one_month, period, scope)


def month_by_month(
    one_month: Callable[[int], Select[Any]], period: Period, scope: Scope
) -> CompoundSelect:
    """``one_month(position)`` for every month of the period, each limited to the cases received
    that month in the scope, joined by UNION ALL (PostgreSQL runs the months in parallel)."""
    return union_all(
        *(
            in_scope(
                one_month(position).where(Case.received_at >= start, Case.received_at < end), scope
            )
            for position, (start, end) in enumerate(itertools.pairwise(period.bounds), start=1)
        )
    )


_Group = tuple[Level, str, int | None, str | None]


def _rolled_up_rows(
    result: Iterable[Sequence[Any]],
    months: list[str],
    kinds: Mapping[int, str],
    agencies: Mapping[int, int],
) -> list[Row]:
    """The finest groups added up to every level; percentiles over the grouped value counts.

    Exact: ``percentile`` interpolates as PostgreSQL's ``percentile_cont`` does. (One statement
    with GROUPING SETS and percentile_cont took 3.6 s at 1,000,000 cases; this one under 1 s.)
    """
    totals: dict[_Group, list[int]] = {}
    spreads: dict[_Group, Counter[int]] = defaultdict(Counter)
    width = len(_COUNTS)
    for r in result:
        service, department, month_key, days = r[0], r[1], r[2], r[3]
        counts = r[4 : 4 + width]
        month = month_key if isinstance(month_key, str) else months[int(month_key) - 1]
        kind = kinds[service]
        for group in (
            (Level.SERVICE_MONTH, kind, service, month),
            (Level.SERVICE, kind, service, None),
            (Level.DEPARTMENT, kind, department, None),
            (Level.AGENCY, kind, agencies[department], None),
            (Level.MONTH, kind, None, month),
            (Level.ALL, kind, None, None),
        ):
            total = totals.get(group)
            if total is None:
                totals[group] = list(counts)
            else:
                totals[group] = [a + b for a, b in zip(total, counts, strict=True)]
            if days is not None:
                spreads[group][int(days)] += int(counts[_TIMED])
    rows = []
    for group, total in totals.items():
        figures = Figures(**dict(zip(_COUNTS, map(int, total), strict=True)))
        figures.median_days = percentile(spreads[group], 0.5)
        figures.p90_days = percentile(spreads[group], 0.9)
        rows.append(Row(*group, figures))
    return rows


def percentile(counts: Counter[int], fraction: float) -> float | None:
    """``percentile_cont`` over values given with their counts (linear between neighbours)."""
    total = sum(counts.values())
    if total == 0:
        return None
    position = fraction * (total - 1)
    below, above = int(position), min(int(position) + 1, total - 1)
    values = _nth_values(counts, (below, above))
    low, high = values[below], values[above]
    return float(low + (high - low) * (position - below))


def _nth_values(counts: Counter[int], positions: Iterable[int]) -> dict[int, int]:
    """The values at the given 0-based positions of the sorted multiset."""
    wanted = sorted(set(positions), reverse=True)  # popped from the end: smallest first
    found: dict[int, int] = {}
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[-1] < seen:
            found[wanted.pop()] = value
    return found


# -- months ------------------------------------------------------------------------------------


def next_month(day: date) -> date:
    """The 1st of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def previous_month(day: date) -> date:
    """The 1st of the month before ``day``'s."""
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def _month_start(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ValueError(f"'{text}' is not a month: write YYYY-MM") from None
