"""How urgent an open case is in a clerk's queue: overdue, due soon, on time or paused.

Pure: the case's deadline, the calendar and the current instant in; no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from tracker.deadlines.engine import working_days_left
from tracker.deadlines.timezones import local_date, require_aware, start_of_local_day
from tracker.deadlines.workcalendar import WorkCalendar

# Amber from two working days before the due date: the watch's due-soon warning comes on the
# working day before, and the queue should show it coming a little earlier than that.
DUE_SOON_WORKING_DAYS = 2
# Hour and minute limits turn amber in their last quarter, as the watch's warning does.
DUE_SOON_FRACTION = 4


class Urgency(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"
    PAUSED = "paused"  # waiting for the applicant's documents: the clock is stopped


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a case stands against its deadline; ``working_days_left`` only for day limits."""

    urgency: Urgency
    working_days_left: int | None


def standing(
    *,
    received_at: datetime,
    due_date: date | None,
    due_at: datetime | None,
    now: datetime,
    calendar: WorkCalendar,
) -> Standing:
    """The urgency of an open case at ``now``."""
    require_aware(now, "now")
    if due_at is None:
        return Standing(Urgency.PAUSED, None)
    if due_date is None:  # hour and minute limits: the instant is all there is
        if now >= due_at:
            return Standing(Urgency.OVERDUE, None)
        soon = now >= due_at - (due_at - received_at) / DUE_SOON_FRACTION
        return Standing(Urgency.DUE_SOON if soon else Urgency.ON_TIME, None)
    left = working_days_left(local_date(now), due_date, calendar)
    if now >= due_at:
        return Standing(Urgency.OVERDUE, left)
    return Standing(Urgency.DUE_SOON if left <= DUE_SOON_WORKING_DAYS else Urgency.ON_TIME, left)


def due_soon_before(now: datetime, calendar: WorkCalendar) -> datetime:
    """The overdue instant before which an open case with a day or month limit is due soon at
    ``now``: its due date leaves at most DUE_SOON_WORKING_DAYS working days, as ``standing``
    says. For a count over many cases in one range condition (the agency view).

    Worked example: on Friday 2026-04-17, the working days after it are Monday 04-20, Tuesday
    04-21 and Wednesday 04-22; a case due Tuesday has 2 left (due soon), one due Wednesday 3. The
    bound is 00:00 Taipei on Wednesday, the overdue instant of a case due Tuesday.
    """
    require_aware(now, "now")
    first_not_soon = calendar.nth_working_day_after(local_date(now), DUE_SOON_WORKING_DAYS + 1)
    return start_of_local_day(first_not_soon)
