"""Plausible cases for the bench database, with due dates from the real deadline engine.

Drafts are drawn first (service, receipt, status, pause, deadline, closing), then sorted by receipt
so that ids, case numbers and the table's physical order grow with time as they do in production.
A few rules keep the closure figure exact:

- ``touched`` open cases are received in the two weeks before the seed's "now", are due on or
  after the closure day D (a working day a few days ahead) and have a due date that declaring D
  closed moves, so the re-timing writes exactly that many;
- every other running open case is due before D, so the closure's candidate query skips it;
- cases waiting for documents have no due date at all (the clock is stopped).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from tracker.deadlines.days_used import days_used
from tracker.deadlines.engine import ClockPolicy, Pause, compute_deadline
from tracker.deadlines.limits import TimeLimit
from tracker.deadlines.timezones import TAIPEI, local_date, start_of_local_day
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.lifecycle import CaseStatus

try:  # the deadline watch (migration 0002) is newer than the first schema
    from tracker.watch.rules import WatchState, default_expected_completion, next_watch_at
except ImportError:  # pragma: no cover - an older checkout
    WatchState = None  # type: ignore[assignment,misc]

HISTORY_DAYS = 540  # about 18 months of receipts
TOUCHED_WINDOW_DAYS = 14
CLOSURE_LEAD_DAYS = 3  # D is the first working day at least this many days after "now"
OPEN_MEAN_AGE_DAYS = 45.0  # open cases are mostly recent; a long tail is months overdue

CHANNELS = (("counter", 70), ("online", 20), ("phone", 6), ("mail", 4))
CLOSED = (("completed", 86), ("rejected", 8), ("withdrawn", 6))
RUNNING = (("received", 33), ("in_progress", 67))
AWAITING_SHARE = 0.08  # of the untouched open cases: waiting for documents, clock stopped
PAUSED_CLOSED = 0.02  # closed cases that had a supplement pause on the way
PAUSED_RUNNING = 0.04  # running cases whose documents already arrived

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ServiceInfo:
    """What seeding needs to know about one catalogue service."""

    index: int
    id: int
    version_id: int
    department_id: int
    code: str
    limit: TimeLimit
    clock: ClockPolicy
    supplement_deadline: TimeLimit
    steps: int


class Draft(NamedTuple):
    """One case before it gets an id; a tuple because a million of them sit in memory."""

    received_at: datetime
    service: int  # ServiceInfo.index
    status: str
    channel: str
    due_date: date | None
    due_at: datetime | None
    pause_start: datetime | None
    pause_end: datetime | None
    supplement_due: date | None
    closed_at: datetime | None


def closure_day(now: datetime, calendar: WorkCalendar) -> date:
    """The day the closure figure declares closed: a working day a few days after ``now``."""
    return calendar.next_working_day_on_or_after(local_date(now) + timedelta(CLOSURE_LEAD_DAYS))


def _weighted(choices: Sequence[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [c for c, _ in choices], [w for _, w in choices]


class Drafter:
    """Draws case drafts; deadlines are memoised per (service, local receipt day[, pause days])."""

    def __init__(
        self,
        services: Sequence[ServiceInfo],
        calendar: WorkCalendar,
        now: datetime,
        closure: date,
        rng: random.Random,
    ) -> None:
        self.services = list(services)
        self.day_based = [s for s in self.services if s.limit.is_day_based]
        if not self.day_based:
            raise ValueError("the catalogue has no day or month limits: nothing a closure moves")
        self.calendar, self.now, self.closure, self.rng = calendar, now, closure, rng
        self.closure_starts = start_of_local_day(closure)
        # The calendar as it will be once the benchmark declares D closed.
        self.closed_calendar = WorkCalendar(
            overrides=calendar.overrides, closures=[*calendar.closures, closure]
        )
        self.today = local_date(now)
        self.first_day = self.today - timedelta(HISTORY_DAYS)
        # Counter, phone and mail receipts happen in office hours on working days: a day drawn
        # on a weekend moves back to the working day before it.
        self._working_on_or_before: dict[date, date] = {}
        last_working = calendar.next_working_day_on_or_after(self.first_day)
        day = self.first_day
        while day <= self.today:
            if calendar.is_working_day(day):
                last_working = day
            self._working_on_or_before[day] = last_working
            day += _DAY
        self._channels = _weighted(CHANNELS)
        self._closed = _weighted(CLOSED)
        self._running = _weighted(RUNNING)
        self._deadlines: dict[tuple[object, ...], tuple[date | None, datetime | None]] = {}
        self._supplement_dues: dict[tuple[int, date], date] = {}

    # -- the three kinds of case -------------------------------------------------------------

    def closed(self) -> Draft:
        """A finished case received any time in the last 18 months."""
        rng = self.rng
        service = rng.choice(self.services)
        channel = self._channel()
        received = self._received(
            self.first_day + timedelta(rng.randrange(HISTORY_DAYS + 1)), channel
        )
        pause = None
        if service.limit.is_day_based and rng.random() < PAUSED_CLOSED:
            pause = self._resumed_pause(received)
        due_date, due_at = self._deadline(service, received, pause)
        assert due_at is not None  # the pause, if any, has ended
        # Most cases close well within the limit; about one in ten runs a little late.
        worked_from = pause[1] if pause else received
        closed_at = received + (due_at - received) * rng.uniform(0.05, 1.1)
        closed_at = min(max(closed_at, worked_from + timedelta(minutes=5)), self.now)
        status = rng.choices(*self._closed)[0]
        return self._draft(service, received, status, channel, (due_date, due_at), pause, closed_at)

    def open_untouched(self) -> Draft:
        """An open case that a closure on D leaves alone: due before D, or waiting for documents."""
        rng = self.rng
        if rng.random() < AWAITING_SHARE:
            return self._awaiting()
        for attempt in range(50):
            service = rng.choice(self.services)
            channel = self._channel()
            if attempt < 10:
                age = min(int(rng.expovariate(1 / OPEN_MEAN_AGE_DAYS)), HISTORY_DAYS)
            else:  # far enough back that any limit in the catalogue has run out before D
                age = rng.randrange(120, HISTORY_DAYS + 1)
            received = self._received(self.today - timedelta(age), channel)
            pause = None
            if service.limit.is_day_based and rng.random() < PAUSED_RUNNING:
                pause = self._resumed_pause(received)
            due_date, due_at = self._deadline(service, received, pause)
            if due_at is not None and due_at <= self.closure_starts:
                status = rng.choices(*self._running)[0]
                if pause:
                    status = "in_progress"  # documents arrived, so work has started
                return self._draft(service, received, status, channel, (due_date, due_at), pause)
        raise RuntimeError("could not draw an open case due before the closure day")

    def open_touched(self) -> Draft:
        """An open case received shortly before D and due on or after it: the closure moves it."""
        rng = self.rng
        for _ in range(200):
            service = rng.choice(self.day_based)
            channel = self._channel()
            received = self._received(
                self.today - timedelta(rng.randrange(TOUCHED_WINDOW_DAYS + 1)), channel
            )
            pause = self._resumed_pause(received) if rng.random() < PAUSED_RUNNING else None
            due_date, due_at = self._deadline(service, received, pause)
            # Running over D is not enough: a calendar-day limit whose last day moves onto a
            # weekend ends on the same Monday either way. Keep only cases the closure moves, so
            # that "touched" is exactly what the re-timing has to write.
            if (
                due_date is not None
                and due_date >= self.closure
                and self._deadline(service, received, pause, closed=True)[0] != due_date
            ):
                status = "in_progress" if pause else rng.choices(*self._running)[0]
                return self._draft(service, received, status, channel, (due_date, due_at), pause)
        raise RuntimeError(
            f"no service in the catalogue runs from {self.today - timedelta(TOUCHED_WINDOW_DAYS)}"
            f" past {self.closure}: add a longer limit or move the closure day"
        )

    # -- pieces ------------------------------------------------------------------------------

    def _draft(
        self,
        service: ServiceInfo,
        received: datetime,
        status: str,
        channel: str,
        due: tuple[date | None, datetime | None],
        pause: tuple[datetime, datetime] | None,
        closed_at: datetime | None = None,
    ) -> Draft:
        if pause is None:
            return Draft(
                received, service.index, status, channel, *due, None, None, None, closed_at
            )
        supplement_due = self.supplement_due(service, pause[0])
        return Draft(
            received, service.index, status, channel, *due, *pause, supplement_due, closed_at
        )

    def _awaiting(self) -> Draft:
        """Documents requested and not yet in: the clock is stopped, so there is no due date."""
        rng = self.rng
        service = rng.choice(self.day_based)
        channel = self._channel()
        age = min(int(rng.expovariate(1 / OPEN_MEAN_AGE_DAYS)), HISTORY_DAYS)
        received = self._received(self.today - timedelta(age), channel)
        requested = received + timedelta(days=rng.randint(1, 5), minutes=rng.randrange(-120, 120))
        requested = max(received, min(requested, self.now))
        return Draft(received, service.index, "awaiting_supplement", channel, None, None,
                     requested, None, self.supplement_due(service, requested), None)  # fmt: skip

    def supplement_due(self, service: ServiceInfo, requested: datetime) -> date:
        """The day the applicant must bring the documents by (the SOP's supplement deadline)."""
        key = (service.index, local_date(requested))
        found = self._supplement_dues.get(key)
        if found is None:
            deadline = compute_deadline(requested, service.supplement_deadline, self.calendar)
            assert deadline is not None  # no pauses given, so the clock runs
            found = deadline.due_date or local_date(deadline.overdue_at)
            self._supplement_dues[key] = found
        return found

    def _channel(self) -> str:
        return self.rng.choices(*self._channels)[0]

    def _received(self, day: date, channel: str) -> datetime:
        """An instant on ``day`` (Taipei): office hours for counter/phone/mail, any time online."""
        rng = self.rng
        if channel == "online":
            minute = rng.randrange(24 * 60)
        else:
            day = self._working_on_or_before.get(day, day)
            minute = rng.randrange(8 * 60, 17 * 60 + 30)
        at = datetime.combine(day, time(), TAIPEI) + timedelta(
            minutes=minute, seconds=rng.random() * 60
        )
        at = at.astimezone(UTC)
        # Today's office hours may still lie ahead: such a case arrived a little before "now".
        return at if at <= self.now else self.now - timedelta(minutes=rng.randrange(1, 90))

    def _resumed_pause(self, received: datetime) -> tuple[datetime, datetime] | None:
        """Supplement asked 1-5 days after receipt, documents in 2-9 days later (None: not yet)."""
        rng = self.rng
        start = received + timedelta(days=rng.randint(1, 5), minutes=rng.randrange(-120, 120))
        end = start + timedelta(days=rng.randint(2, 9), hours=rng.randint(1, 6))
        return (start, end) if end <= self.now else None

    def _deadline(
        self,
        service: ServiceInfo,
        received: datetime,
        pause: tuple[datetime, datetime] | None,
        *,
        closed: bool = False,
    ) -> tuple[date | None, datetime | None]:
        """The engine's deadline (``closed``: once D is declared closed).

        Day and month limits depend only on local days, so they are memoised per service,
        receipt day and pause days: a million cases need a few tens of thousands of computations.
        """
        pauses = (Pause(*pause),) if pause else ()
        calendar = self.closed_calendar if closed else self.calendar
        if not service.limit.is_day_based:
            return self._compute(service, received, pauses, calendar)
        key: tuple[object, ...] = (closed, service.index, local_date(received))
        if pause:
            key += (local_date(pause[0]), local_date(pause[1]))
        found = self._deadlines.get(key)
        if found is None:
            found = self._deadlines[key] = self._compute(service, received, pauses, calendar)
        return found

    def _compute(
        self,
        service: ServiceInfo,
        received: datetime,
        pauses: tuple[Pause, ...],
        calendar: WorkCalendar,
    ) -> tuple[date | None, datetime | None]:
        deadline = compute_deadline(
            received, service.limit, calendar, pauses=pauses, clock=service.clock
        )
        return (deadline.due_date, deadline.overdue_at) if deadline else (None, None)

    @property
    def memo_size(self) -> int:
        """Distinct deadlines computed (the rest came from the memo)."""
        return len(self._deadlines)


class Watch:
    """The deadline watch's columns as a watch running until ``now`` would have left them.

    Every trigger up to ``now`` counts as handled: an overdue case was told when it fell due and
    promised a completion by the documented rule, promised again each time a promise passed
    (``tracker.watch.sweep``), and now waits for its next trigger after ``now``.
    """

    def __init__(self, now: datetime, calendar: WorkCalendar) -> None:
        self.now, self.calendar, self.today = now, calendar, local_date(now)
        self._promises: dict[tuple[int, date], date] = {}

    def columns(self, draft: Draft, service: ServiceInfo) -> tuple[date | datetime | None, ...]:
        """``expected_completion, watch_at, watched_until, overdue_since`` (WATCH_COLUMNS)."""
        overdue = draft.due_at is not None and draft.due_at <= (draft.closed_at or self.now)
        overdue_since = draft.due_at if overdue else None
        if draft.closed_at is not None:
            return None, None, None, overdue_since
        promised = self._promise(draft, service) if overdue else None
        waiting = draft.pause_end is None  # an open pause: documents still missing
        state = WatchState(
            status=CaseStatus(draft.status),
            received_at=draft.received_at,
            limit=service.limit,
            due_date=draft.due_date,
            due_at=draft.due_at,
            expected_completion=promised,
            supplement_requested_at=draft.pause_start if waiting else None,
            supplement_due=draft.supplement_due if waiting else None,
        )
        return promised, next_watch_at(state, self.calendar, self.now), self.now, overdue_since

    def _promise(self, draft: Draft, service: ServiceInfo) -> date:
        assert draft.due_at is not None
        first = default_expected_completion(
            draft.due_date or local_date(draft.due_at), draft.due_at, service.limit, self.calendar
        )
        # From the first promise on, the chain depends only on it: memoise, since a case months
        # overdue has been promised again dozens of times.
        key = (service.index, first)
        found = self._promises.get(key)
        if found is None:
            found = first
            while found < self.today:
                again = start_of_local_day(found + _DAY)
                found = default_expected_completion(found, again, service.limit, self.calendar)
            self._promises[key] = found
        return found


class ClosingFigures:
    """What closing stores on a case (tracker.cases.closing_figures), for the closed drafts."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        # Keyed by local days: a million cases fall on a few hundred thousand combinations.
        self._memo: dict[tuple[date, ...], tuple[int, int]] = {}

    def columns(self, draft: Draft) -> tuple[int | None, int | None]:
        """``working_days_used, paused_days`` (FIGURE_COLUMNS); NULL while the case is open."""
        if draft.closed_at is None:
            return None, None
        key = tuple(
            local_date(t)
            for t in (draft.received_at, draft.closed_at, draft.pause_start, draft.pause_end)
            if t is not None
        )
        found = self._memo.get(key)
        if found is None:
            pauses = [Pause(draft.pause_start, draft.pause_end)] if draft.pause_start else []
            used = days_used(draft.received_at, draft.closed_at, pauses, self.calendar)
            found = self._memo[key] = (used.working_days, used.paused_days)
        return found


def has_watch() -> bool:
    """Whether this checkout has the deadline watch's rules."""
    return WatchState is not None
