"""How long a closed case took: working days used, and the days the applicant's documents held it.

Counted as the deadline engine counts (tracker.deadlines.engine): the day of receipt is not counted,
and the days in (A, B] of each supplement pause (request day A, documents in on day B) belong to the
applicant, not to the office. Reports aggregate these two numbers, stored on the case when it
closes, so that no report has to replay the calendar for a million cases.

Pure: no I/O and no clock; the caller passes every instant in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.deadlines.engine import Pause
from tracker.deadlines.timezones import local_date
from tracker.deadlines.workcalendar import WorkCalendar


@dataclass(frozen=True, slots=True)
class DaysUsed:
    """Working days the office used, and calendar days the clock stood still for documents."""

    working_days: int
    paused_days: int


def days_used(
    received_at: datetime,
    closed_at: datetime,
    pauses: Sequence[Pause],
    calendar: WorkCalendar,
) -> DaysUsed:
    """Working days in (receipt day, closing day] outside every pause, and the paused days."""
    received, closed = local_date(received_at), local_date(closed_at)
    working = calendar.working_days_between(received, closed)
    paused_working = paused = 0
    counted_to = received  # pauses are in order and never overlap; clip each to what is left
    for pause in pauses:
        # A pause still open at closing (a rejection while waiting) ends with the case.
        first = max(local_date(pause.start), counted_to)
        last = min(local_date(pause.end) if pause.end else closed, closed)
        if last <= first:
            continue
        paused += (last - first).days
        paused_working += calendar.working_days_between(first, last)
        counted_to = last
    return DaysUsed(working_days=working - paused_working, paused_days=paused)
