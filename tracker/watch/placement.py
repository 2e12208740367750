"""Keeping a case's place in the deadline watch up to date after any change."""

from __future__ import annotations

from tracker.deadlines.limits import parse_limit
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.models import Case
from tracker.watch.rules import WatchState, handled_until, next_watch_at


def watch_state(case: Case) -> WatchState:
    """The facts the watch rules need, read off the case."""
    pause = case.pauses[-1] if case.pauses and case.pauses[-1].resumed_at is None else None
    return WatchState(
        status=case.status,
        received_at=case.received_at,
        limit=parse_limit(case.service_version.time_limit),
        due_date=case.due_date,
        due_at=case.due_at,
        expected_completion=case.expected_completion,
        supplement_requested_at=pause.requested_at if pause else None,
        supplement_due=pause.supplement_due if pause else None,
    )


def rewatch(case: Case, calendar: WorkCalendar) -> None:
    """Point the watch at the case's next unhandled trigger (or take it off the watch)."""
    case.watch_at = next_watch_at(
        watch_state(case), calendar, handled_until(case.watched_until, case.received_at)
    )
