"""The queues: my cases and my department's, soonest due first; the agency view for its heads."""

from __future__ import annotations

from flask import abort, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.calendar.store import load_calendar
from tracker.cases.letter_tasks import department_open_tasks
from tracker.cases.overview import agency_overview
from tracker.cases.queries import assigned_queue, department_queue
from tracker.clock import utc_now
from tracker.models import Agency, Department, Role
from web.core.database import transaction
from web.counter.access import CASE_ROLES, ConsoleUser, roles, signed_in
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.present import queue_row


@counter.get("")
@roles(Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def index() -> ResponseReturnValue:
    """The start page: the queues (administrators and an agency's staff go to their own)."""
    user = signed_in()
    if user.role == Role.ADMIN:
        return redirect(url_for("counter.admin"), code=303)
    if user.agency_wide:
        return redirect(url_for("counter.agency_view"), code=303)
    if user.department_id is None:  # a case handler the administrator has placed nowhere
        abort(404)
    with transaction() as db:
        department = db.get(Department, user.department_id)
        assert department is not None
        return _queues(db, user, department)


@counter.get("/queues/<agency>/<department>")
@roles(*CASE_ROLES)
def department_queues(agency: str, department: str) -> ResponseReturnValue:
    """One department's queue, for those who see its cases (an agency's heads: each of its)."""
    user = signed_in()
    with transaction() as db:
        section = db.scalar(
            select(Department)
            .join(Department.agency)
            .where(Agency.code == agency, Department.code == department)
        )
        if section is None or not user.sees(section.id, section.agency_id):
            abort(404)
        return _queues(db, user, section)


def _queues(db: Session, user: ConsoleUser, department: Department) -> ResponseReturnValue:
    now = utc_now()
    calendar = load_calendar(db, department.agency_id)
    # A transfer clears the assignment; the filter covers a user moved to another department.
    mine = [
        queue_row(c, calendar, now)
        for c in assigned_queue(db, user.id)
        if c.department_id == department.id
    ]
    everyone = [queue_row(c, calendar, now) for c in department_queue(db, department.id)]
    # Closed cases may have them too (a ready notice nobody could send): listed apart.
    task_count, task_cases = department_open_tasks(db, department.id)
    return page(
        "queues.html",
        user=user,
        department=department,
        mine=mine,
        show_mine=department.id == user.department_id,
        everyone=everyone,
        task_count=task_count,
        task_cases=task_cases,
    )


@counter.get("/agency")
@roles(*CASE_ROLES)
def agency_view() -> ResponseReturnValue:
    """An agency at a glance: each department's overdue, due-soon and waiting cases, and the
    oldest overdue cases, for the staff of the whole agency (區長, 秘書, the one-stop counter)."""
    user = signed_in()
    if not user.agency_wide:
        abort(404)
    now = utc_now()
    with transaction() as db:
        agency = db.get(Agency, user.agency_id)
        assert agency is not None
        calendar = load_calendar(db, agency.id)
        overview = agency_overview(db, agency.id, now=now, calendar=calendar)
        return page(
            "agency.html",
            agency=agency,
            overview=overview,
            oldest=[queue_row(case, calendar, now) for case in overview.oldest_overdue],
        )
