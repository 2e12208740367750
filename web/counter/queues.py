"""The queues: my cases and my department's, soonest due first."""

from __future__ import annotations

from flask import redirect, url_for
from flask.typing import ResponseReturnValue

from tracker.calendar.store import load_calendar
from tracker.cases.letter_tasks import department_open_tasks
from tracker.cases.queries import assigned_queue, department_queue
from tracker.clock import utc_now
from tracker.models import Department, Role
from web.core.database import transaction
from web.counter.access import roles, signed_in
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.present import queue_row


@counter.get("")
@roles(Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def index() -> ResponseReturnValue:
    """The start page: the queues (administrators go to their own screen)."""
    user = signed_in()
    if user.role == Role.ADMIN:
        return redirect(url_for("counter.admin"), code=303)
    assert user.department_id is not None  # clerks and supervisors always have one
    now = utc_now()
    with transaction() as db:
        department = db.get(Department, user.department_id)
        assert department is not None
        calendar = load_calendar(db, department.agency_id)
        # A transfer clears the assignment; the filter covers a user moved to another department.
        mine = [
            queue_row(c, calendar, now)
            for c in assigned_queue(db, user.id)
            if c.department_id == user.department_id
        ]
        everyone = [queue_row(c, calendar, now) for c in department_queue(db, user.department_id)]
        # Closed cases may have them too (a ready notice nobody could send): listed apart.
        task_count, task_cases = department_open_tasks(db, user.department_id)
        return page(
            "queues.html",
            user=user,
            department=department,
            mine=mine,
            everyone=everyone,
            task_count=task_count,
            task_cases=task_cases,
        )
