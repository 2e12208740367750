"""A case's deadline from its SOP version, pauses, extension and its agency's calendar."""

from __future__ import annotations

from datetime import date, datetime

from tracker.deadlines.engine import ClockPolicy, Deadline, Pause, compute_deadline
from tracker.deadlines.limits import TimeLimit, parse_limit
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.models import Case


def case_deadline(case: Case, calendar: WorkCalendar) -> Deadline | None:
    """The deadline as the rules give it now, or None while a supplement pause stops the clock."""
    version = case.service_version
    return compute_deadline(
        case.received_at,
        parse_limit(version.time_limit),
        calendar,
        pauses=[Pause(p.requested_at, p.resumed_at) for p in case.pauses],
        clock=ClockPolicy(version.supplement_clock),
        extension=parse_limit(case.extension) if case.extension else None,
    )


def apply_deadline(case: Case, calendar: WorkCalendar) -> Deadline | None:
    """Recompute and store the case's due date and overdue instant."""
    deadline = case_deadline(case, calendar)
    case.due_date = deadline.due_date if deadline else None
    case.due_at = deadline.overdue_at if deadline else None
    return deadline


def supplement_deadline(requested_at: datetime, period: TimeLimit, calendar: WorkCalendar) -> date:
    """The day missing documents are due when the clerk names none: the SOP's supplement
    period (days or working days) counted from the request as any period is (Art. 48)."""
    computed = compute_deadline(requested_at, period, calendar)
    assert computed is not None and computed.due_date is not None  # day-based periods only
    return computed.due_date
