"""The figures a case keeps from the moment it closes, for reports (tracker.reports.statistics)."""

from __future__ import annotations

from tracker.deadlines.days_used import days_used
from tracker.deadlines.engine import Pause
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.models import Case


def record_closing_figures(case: Case, calendar: WorkCalendar) -> None:
    """Store the working days the case used and the days it waited for documents."""
    assert case.closed_at is not None  # called by the closing actions, after closed_at is set
    used = days_used(
        case.received_at,
        case.closed_at,
        [Pause(p.requested_at, p.resumed_at) for p in case.pauses],
        calendar,
    )
    case.working_days_used = used.working_days
    case.paused_days = used.paused_days
