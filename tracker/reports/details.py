"""What the reports show beside the counts: overdue reasons, notice delivery, survey answers.

The overdue reasons are grouped over the same cases as tracker.reports.statistics (received in the
period, in the scope); notices and survey answers are counted by their own month.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from tracker.models import Case, Department, Notice, Service, SurveyResponse
from tracker.reports.statistics import (
    COMPLETED,
    OPEN,
    Period,
    Scope,
    cases_select,
    month_by_month,
    within,
)

# -- why cases missed their limits -------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    """How many cases of a service missed their limit for one recorded reason (None: none)."""

    service_id: int
    reason: str | None
    cases: int


def overdue_reasons(
    session: Session, period: Period, scope: Scope, now: datetime
) -> list[ReasonCount]:
    """The clerks' overdue reasons of the cases that missed their limit, counted per service."""
    missed = or_(
        and_(COMPLETED, Case.closed_at >= Case.due_at),
        and_(OPEN, Case.due_at <= now),
    )
    stmt = (
        cases_select(Case.service_id, Case.overdue_reason, func.count().label("cases"))
        .where(missed)
        .group_by(Case.service_id, Case.overdue_reason)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Month by month, as tracker.reports.statistics counts: the months run in parallel.
        counts: Counter[tuple[int, str | None]] = Counter()
        for service_id, reason, cases in session.execute(
            month_by_month(lambda _: stmt, period, scope)
        ):
            counts[service_id, reason] += int(cases)
        found = counts.items()
    else:
        found = ((row[:2], int(row[2])) for row in session.execute(within(stmt, period, scope)))
    return sorted(
        (ReasonCount(service_id, reason, cases) for (service_id, reason), cases in found),
        key=lambda r: (r.service_id, -r.cases, r.reason or ""),
    )


# -- notices and surveys -----------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeCount:
    """Applicant notices about the period's cases on one channel in one delivery status."""

    channel: str
    status: str
    notices: int


def notice_delivery(session: Session, period: Period, scope: Scope) -> list[NoticeCount]:
    """Notices to applicants written during the period, by channel and status.

    By the notice's own month rather than its case's: a delivery rate is about what was sent
    then, and the city-wide count is an index-only scan of ix_notices_created_at.
    """

    def written(start: datetime, end: datetime) -> Select[Any]:
        stmt = (
            select(Notice.channel, Notice.status, func.count().label("notices"))
            .where(
                Notice.audience == "applicant",
                Notice.created_at >= start,
                Notice.created_at < end,
            )
            .group_by(Notice.channel, Notice.status)
        )
        if scope != Scope():
            stmt = stmt.join(Case, Case.id == Notice.case_id)
            stmt = _scoped(stmt, scope, Case.department_id, Case.service_id)
        return stmt

    if session.get_bind().dialect.name == "postgresql" and scope == Scope():
        # Month by month, as the case counts: PostgreSQL scans the months in parallel. Not with
        # a scope: each month would join the cases again (2.4 s for one department, not 0.9 s).
        months = itertools.pairwise(period.bounds)
        rows = session.execute(union_all(*(written(start, end) for start, end in months)))
    else:
        rows = session.execute(written(period.start, period.end))
    counts: Counter[tuple[str, str]] = Counter()
    for channel, status, notices in rows:
        counts[channel, status] += int(notices)
    return [NoticeCount(c, s, n) for (c, s), n in sorted(counts.items())]


def _scoped(
    stmt: Select[Any], scope: Scope, department: ColumnElement[int], service: ColumnElement[int]
) -> Select[Any]:
    """``stmt`` limited to the scope, given its department and service columns."""
    if scope.agency_id is not None:
        stmt = stmt.join(Department, Department.id == department).where(
            Department.agency_id == scope.agency_id
        )
    if scope.department_id is not None:
        stmt = stmt.where(department == scope.department_id)
    if scope.service_id is not None:
        stmt = stmt.where(service == scope.service_id)
    return stmt


@dataclass(frozen=True)
class SurveyCount:
    """Survey answers about one service handled by one department: how many, their scores."""

    service_id: int
    department_id: int
    kind: str
    responses: int
    score_total: int

    @property
    def average(self) -> float | None:
        """The average score (1-5)."""
        return self.score_total / self.responses if self.responses else None


def survey_results(session: Session, period: Period, scope: Scope) -> list[SurveyCount]:
    """Satisfaction answers given during the period, per service and department."""
    answer = SurveyResponse
    stmt = (
        select(
            answer.service_id,
            answer.department_id,
            Service.kind,
            func.count(),
            func.coalesce(func.sum(answer.score), 0),
        )
        .join(Service, Service.id == answer.service_id)
        .where(answer.answered_at >= period.start, answer.answered_at < period.end)
        .group_by(answer.service_id, answer.department_id, Service.kind)
    )
    stmt = _scoped(stmt, scope, answer.department_id, answer.service_id)
    return sorted(
        (
            SurveyCount(service, department, kind, int(n), int(total))
            for service, department, kind, n, total in session.execute(stmt)
        ),
        key=lambda c: (c.service_id, c.department_id),
    )
