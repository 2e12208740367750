"""An agency at a glance (the agency view of its heads, 區長 and 秘書): for each department, the
open cases overdue, due soon and waiting for documents, and the agency's oldest overdue cases.

Counted as the queues colour cases (tracker.cases.urgency), in two statements whatever the size
of the agency: one GROUP BY over the agency's open cases (the department-and-status index), and
the oldest overdue read off the open-cases-by-due-date index, oldest first, until enough are
found. Cases with hour or minute limits are few and short-lived: their "due soon" is the last
quarter of their limit, worked out case by case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.cases.urgency import Urgency, due_soon_before, standing
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.lifecycle import OPEN_STATUSES, CaseStatus
from tracker.models import Case, Department

OLDEST_OVERDUE = 10


@dataclass(frozen=True, slots=True)
class DepartmentCounts:
    """One department's open cases, by what needs attention."""

    department: Department
    open: int
    overdue: int
    due_soon: int
    waiting: int  # for the applicant's documents


@dataclass(frozen=True, slots=True)
class AgencyOverview:
    """Every department of an agency, and its oldest overdue cases."""

    departments: list[DepartmentCounts]
    oldest_overdue: Sequence[Case]

    @property
    def overdue(self) -> int:
        """Overdue cases in the whole agency."""
        return sum(d.overdue for d in self.departments)


def agency_overview(
    session: Session,
    agency_id: int,
    *,
    now: datetime,
    calendar: WorkCalendar,
    oldest: int = OLDEST_OVERDUE,
) -> AgencyOverview:
    """The agency's departments (by code) with their counts, and its ``oldest`` overdue cases."""
    departments = session.scalars(
        select(Department).where(Department.agency_id == agency_id).order_by(Department.code)
    ).all()
    ids = [d.id for d in departments]
    soon = due_soon_before(now, calendar)
    is_open = Case.status.in_(OPEN_STATUSES)
    counted = session.execute(
        select(
            Case.department_id,
            func.count(),
            func.sum(when((Case.due_at <= now, 1), else_=0)),
            func.sum(
                when((Case.due_date.is_not(None) & (Case.due_at > now) & (Case.due_at <= soon), 1),
                     else_=0)
            ),
            func.sum(when((Case.status == CaseStatus.AWAITING_SUPPLEMENT, 1), else_=0)),
        )
        .where(Case.department_id.in_(ids), is_open)
        .group_by(Case.department_id)
    ).all()  # fmt: skip
    totals = {row[0]: [int(value or 0) for value in row[1:]] for row in counted}
    # Hour and minute limits: due soon in the last quarter of the limit (as ``standing`` says).
    for department_id, received_at, due_at in session.execute(
        select(Case.department_id, Case.received_at, Case.due_at).where(
            Case.department_id.in_(ids), is_open, Case.due_date.is_(None), Case.due_at > now
        )
    ):
        found = standing(
            received_at=received_at, due_date=None, due_at=due_at, now=now, calendar=calendar
        )
        if found.urgency is Urgency.DUE_SOON:
            totals[department_id][2] += 1
    oldest_overdue = session.scalars(
        select(Case)
        .where(Case.department_id.in_(ids), is_open, Case.due_at <= now)
        .order_by(Case.due_at, Case.id)
        .limit(oldest)
    ).all()
    return AgencyOverview(
        [DepartmentCounts(d, *totals.get(d.id, [0, 0, 0, 0])) for d in departments],
        oldest_overdue,
    )
