"""When the deadline watch must look at a case, and what it must do then (DESIGN §4.6).

Pure: the case's state and the calendar in, a list of triggers out. Each trigger has the instant
it falls due and the notice kind it causes; the instant is part of the notice's dedupe key, so a
trigger handled twice still sends once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tracker.deadlines.limits import TimeLimit, Unit
from tracker.deadlines.timezones import TAIPEI, local_date, start_of_local_day
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.lifecycle import OPEN_STATUSES, CaseStatus

# Staff warnings land at the start of office hours, not at midnight.
OFFICE_OPENS = time(8, 0)
# The applicant is reminded of a supplement deadline this many days before it.
SUPPLEMENT_REMINDER_DAYS = 2
# Hour and minute limits shorter than this get no due-soon warning: it would arrive at once.
DUE_SOON_MIN_ELAPSED = timedelta(hours=4)
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class WatchState:
    """What the watch needs to know about a case."""

    status: CaseStatus
    received_at: datetime
    limit: TimeLimit
    due_date: date | None
    due_at: datetime | None
    expected_completion: date | None = None
    supplement_requested_at: datetime | None = None  # of the open pause, if any
    supplement_due: date | None = None


@dataclass(frozen=True, slots=True, order=True)
class Trigger:
    at: datetime
    kind: str  # due_soon | overdue | supplement_reminder | supplement_lapsed


def _at_local(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TAIPEI)


def triggers(state: WatchState, calendar: WorkCalendar) -> list[Trigger]:
    """Every instant at which this case needs the watch, in order."""
    if state.status not in OPEN_STATUSES:
        return []
    found: list[Trigger] = []
    if state.due_at is not None:
        soon = _due_soon_at(state, calendar)
        if soon is not None:
            found.append(Trigger(soon, "due_soon"))
        found.append(Trigger(state.due_at, "overdue"))
        # A promised completion that passes is told again (逾期主動告知, each time).
        if state.expected_completion is not None:
            again = start_of_local_day(state.expected_completion + timedelta(days=1))
            if again > state.due_at:
                found.append(Trigger(again, "overdue"))
    if state.supplement_due is not None and state.supplement_requested_at is not None:
        remind = _at_local(
            state.supplement_due - timedelta(days=SUPPLEMENT_REMINDER_DAYS), time(9, 0)
        )
        if remind > state.supplement_requested_at + timedelta(days=1):
            found.append(Trigger(remind, "supplement_reminder"))
        lapsed = start_of_local_day(state.supplement_due + timedelta(days=1))
        found.append(Trigger(lapsed, "supplement_lapsed"))
    return sorted(found)


def handled_until(watched_until: datetime | None, received_at: datetime) -> datetime:
    """Triggers up to this instant have been handled; before the first sweep, none have (the
    instant just before receipt, so that a trigger at receipt itself still counts)."""
    return watched_until or received_at - _JUST_BEFORE


def next_watch_at(state: WatchState, calendar: WorkCalendar, after: datetime) -> datetime | None:
    """The first trigger strictly after ``after``, or None when nothing more is due."""
    return next((t.at for t in triggers(state, calendar) if t.at > after), None)


def _due_soon_at(state: WatchState, calendar: WorkCalendar) -> datetime | None:
    assert state.due_at is not None
    if state.due_date is None:  # hour and minute limits
        elapsed = state.due_at - state.received_at
        if elapsed < DUE_SOON_MIN_ELAPSED:
            return None
        return state.due_at - elapsed / 4
    # The working day before the due date, at opening time; none for one-day limits.
    day = state.due_date - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    if day <= local_date(state.received_at):
        return None
    return _at_local(day, OFFICE_OPENS)


def default_expected_completion(
    due_date: date | None, overdue_at: datetime, limit: TimeLimit, calendar: WorkCalendar
) -> date:
    """The completion promised when the clerk recorded none: half the limit again, rounded up.

    ``5wd`` → 3 working days after the due date; ``14d`` → 7 days; ``1mo`` → 15 days; ``4h`` → the
    working day on which 2 more hours end. Always a working day, and the clerk is asked to confirm.
    """
    half = math.ceil(limit.amount / 2)
    if limit.unit == Unit.WORKING_DAYS:
        assert due_date is not None
        return calendar.nth_working_day_after(due_date, half)
    if limit.unit == Unit.DAYS:
        assert due_date is not None
        return calendar.next_working_day_on_or_after(due_date + timedelta(days=half))
    if limit.unit == Unit.MONTHS:
        assert due_date is not None
        days = math.ceil(limit.amount * 30 / 2)
        return calendar.next_working_day_on_or_after(due_date + timedelta(days=days))
    minutes = limit.amount * (60 if limit.unit == Unit.HOURS else 1)
    end = overdue_at + timedelta(minutes=math.ceil(minutes / 2))
    return calendar.next_working_day_on_or_after(local_date(end))
