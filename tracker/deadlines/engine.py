"""When a case is due: 行政程序法 Art. 48 and 51 applied to an SOP's time limit (DESIGN 4.3-4.4).

Everything is decided on Asia/Taipei dates. The day of receipt never counts (day 1 is the next day),
whatever the hour or the kind of day. Three things stop the clock:

- a supplement request (補正) pauses it from the request day A until the documents arrive on day B:
  the days in (A, B] never count (or, under ``restart``, the whole limit starts again from B);
- a closure day (typhoon 停止上班) never counts toward any limit;
- an ordinary holiday only matters for working-day limits and for the last day of the others.

Pure: no I/O and no clock; the caller passes every instant in.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from tracker.deadlines.limits import TimeLimit, Unit
from tracker.deadlines.timezones import (
    iso_taipei,
    local_date,
    require_aware,
    start_of_local_day,
    to_utc,
)
from tracker.deadlines.workcalendar import WorkCalendar

_ONE_DAY = timedelta(days=1)


class ClockPolicy(StrEnum):
    """What a supplement request does to the clock, as the service's SOP says."""

    PAUSE = "pause"  # the clock stops at the request and runs on when the documents arrive
    RESTART = "restart"  # the full limit starts again when the documents arrive


@dataclass(frozen=True, slots=True)
class Pause:
    """A supplement request at ``start``; the documents arrived at ``end`` (None: still waiting)."""

    start: datetime
    end: datetime | None

    def __post_init__(self) -> None:
        require_aware(self.start, "pause start")
        if self.end is not None and require_aware(self.end, "pause end") < self.start:
            raise ValueError(
                f"a pause cannot end before it starts: documents arrived {self.end.isoformat()}, "
                f"supplement requested {self.start.isoformat()}"
            )


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a case is due: a date for day and month limits, always the overdue instant."""

    due_date: date | None  # the last day on which the case is on time; None for h/min limits
    overdue_at: datetime  # aware UTC instant from which the case is overdue

    def display(self) -> str:
        """``YYYY-MM-DD`` for day and month limits, else the instant with ``+08:00``."""
        if self.due_date is not None:
            return self.due_date.isoformat()
        return iso_taipei(self.overdue_at)


def compute_deadline(
    received_at: datetime,
    limit: TimeLimit,
    calendar: WorkCalendar,
    pauses: Sequence[Pause] = (),
    clock: ClockPolicy = ClockPolicy.PAUSE,
    extension: TimeLimit | None = None,
) -> Deadline | None:
    """The deadline of a case, or None while the clock is stopped waiting for documents."""
    require_aware(received_at, "received_at")
    amount = _amount_with_extension(limit, extension)
    _check_pauses(received_at, pauses)
    if pauses:
        last = pauses[-1]
        if last.end is None:
            before = compute_deadline(received_at, limit, calendar, pauses[:-1], clock, extension)
            # A request made after the case fell due cannot stop a clock that has run out: the
            # case stays overdue (and its applicant informed) while the office waits.
            if before is not None and before.overdue_at <= last.start:
                return before
            return None  # nobody can know the due date until the documents arrive
        if clock == ClockPolicy.RESTART:
            # The arrival is a new receipt: the full limit again, and earlier pauses are spent.
            received_at, pauses = last.end, ()

    if limit.unit in (Unit.HOURS, Unit.MINUTES):
        minutes = amount * 60 if limit.unit == Unit.HOURS else amount
        return Deadline(None, _elapsed_end(received_at, minutes, pauses, calendar))

    received = local_date(received_at)
    paused = [(local_date(p.start), local_date(p.end)) for p in pauses if p.end is not None]
    if limit.unit == Unit.WORKING_DAYS:
        due = _nth_working_day(received, amount, paused, calendar)
    else:
        length = amount if limit.unit == Unit.DAYS else _month_period_days(received, amount)
        # Art. 48 IV: a period ending on a day off ends on the next working day instead.
        due = calendar.next_working_day_on_or_after(
            _end_of_period(received, length, paused, calendar)
        )
    # Due date D may be met any time on D; the case is overdue from 00:00 the next day.
    return Deadline(due, start_of_local_day(due + _ONE_DAY))


def working_days_left(today: date, due_date: date, calendar: WorkCalendar) -> int:
    """Working days from ``today`` until ``due_date`` (0 on it); negative once overdue."""
    if today <= due_date:
        return calendar.working_days_between(today, due_date)
    # At least -1: a case due on Friday is overdue on Saturday though no working day has passed.
    return -max(1, calendar.working_days_between(due_date, today))


def _amount_with_extension(limit: TimeLimit, extension: TimeLimit | None) -> int:
    # The case service enforces "once, before overdue"; only the arithmetic limits live here.
    if extension is None:
        return limit.amount
    if extension.unit != limit.unit:
        raise ValueError(f"an extension of {extension} cannot extend a limit of {limit}")
    if extension.amount > limit.amount:
        raise ValueError(f"an extension ({extension}) may be at most the original limit ({limit})")
    return limit.amount + extension.amount


def _check_pauses(received_at: datetime, pauses: Sequence[Pause]) -> None:
    received = local_date(received_at)
    previous: Pause | None = None
    for pause in pauses:
        if local_date(pause.start) < received:
            raise ValueError(
                f"a supplement requested {pause.start.isoformat()} precedes the receipt "
                f"{received_at.isoformat()}"
            )
        if previous is not None:
            if previous.end is None:
                raise ValueError("only the latest pause may still be waiting for documents")
            if pause.start < previous.end:
                raise ValueError("pauses must be given in order and must not overlap")
        previous = pause


def _nth_working_day(
    received: date, n: int, paused: list[tuple[date, date]], calendar: WorkCalendar
) -> date:
    # Working days up to each request day A count; those in (A, B] are skipped entirely.
    day, remaining = received, n
    for requested, arrived in paused:
        if requested > day:
            counted = calendar.working_days_between(day, requested)
            if counted >= remaining:
                break  # the case fell due before this request
            remaining -= counted
        day = max(day, arrived)
    return calendar.nth_working_day_after(day, remaining)


def _month_period_days(received: date, months: int) -> int:
    # Art. 48 III: counting starts the day after receipt (S); the period ends the day before the
    # day corresponding to S in the last month, or on that month's last day if it has no such day.
    start = received + _ONE_DAY
    year, month_index = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month_index + 1
    month_days = monthrange(year, month)[1]
    if start.day <= month_days:
        end = date(year, month, start.day) - _ONE_DAY
    else:
        end = date(year, month, month_days)
    # As a number of days, so that paused and closure days can push the end later.
    return (end - received).days


def _end_of_period(
    received: date, length: int, paused: list[tuple[date, date]], calendar: WorkCalendar
) -> date:
    # Count `length` days after receipt, but each paused or closure day inside the period pushes
    # the end a day later. Walking the stopped days in order handles one push reaching the next.
    stopped = [(requested + _ONE_DAY, arrived) for requested, arrived in paused]
    stopped += [(day, day) for day in calendar.closures_after(received)]
    stopped.sort()
    end = received + timedelta(days=length)
    counted_to = received  # a closure inside a pause must not push twice
    for first, last in stopped:
        uncounted = max(first, counted_to + _ONE_DAY)
        if last < uncounted:
            continue
        if uncounted > end:
            break
        end += last - uncounted + _ONE_DAY
        counted_to = last
    return end


def _elapsed_end(
    received_at: datetime, minutes: int, pauses: Sequence[Pause], calendar: WorkCalendar
) -> datetime:
    # Hours and minutes run through nights and weekends; only pauses and closure days (whole
    # Taipei days) stop them. UTC arithmetic so a timedelta is always elapsed time.
    now = to_utc(received_at)
    stopped = [(max(to_utc(p.start), now), to_utc(p.end)) for p in pauses if p.end is not None]
    stopped += [
        (start_of_local_day(day), start_of_local_day(day + _ONE_DAY))
        for day in calendar.closures_after(local_date(now) - _ONE_DAY)
    ]
    remaining = timedelta(minutes=minutes)
    for first, last in sorted(stopped):
        if last <= now:
            continue
        if first > now:
            if now + remaining <= first:
                break  # due before this stop begins
            remaining -= first - now
        now = last
    return now + remaining
