"""Queue urgency: overdue, due soon, on time or paused, with the working days left."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tracker.cases.urgency import Standing, Urgency, due_soon_before, standing
from tracker.deadlines.timezones import TAIPEI, start_of_local_day
from tracker.deadlines.workcalendar import WorkCalendar

TAIWAN = WorkCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def day_limit(due: date, now: str, received: str = "2026-04-01 10:00") -> Standing:
    return standing(
        received_at=at(received),
        due_date=due,
        due_at=start_of_local_day(due + timedelta(days=1)),
        now=at(now),
        calendar=TAIWAN,
    )


def test_days_left_count_working_days_only() -> None:
    # Wed 04-15 → Mon 04-20: Thu, Fri, Mon; the weekend does not count.
    assert day_limit(date(2026, 4, 20), "2026-04-15 10:00") == Standing(Urgency.ON_TIME, 3)


def test_due_soon_from_two_working_days_before() -> None:
    assert day_limit(date(2026, 4, 20), "2026-04-16 10:00") == Standing(Urgency.DUE_SOON, 2)
    assert day_limit(date(2026, 4, 20), "2026-04-20 23:59") == Standing(Urgency.DUE_SOON, 0)


def test_overdue_from_midnight_after_the_due_date() -> None:
    assert day_limit(date(2026, 4, 20), "2026-04-21 00:00") == Standing(Urgency.OVERDUE, -1)
    # The Children's Day / Tomb Sweeping holidays (04-03..04-06) are not days overdue.
    assert day_limit(date(2026, 4, 2), "2026-04-07 10:00") == Standing(Urgency.OVERDUE, -1)


def test_a_stopped_clock_is_paused() -> None:
    paused = standing(
        received_at=at("2026-04-13 10:00"),
        due_date=None,
        due_at=None,
        now=at("2026-04-14 10:00"),
        calendar=TAIWAN,
    )
    assert paused == Standing(Urgency.PAUSED, None)


def test_hour_limits_turn_amber_in_their_last_quarter() -> None:
    received, due_at = at("2026-04-13 10:00"), at("2026-04-13 14:00")

    def urgency(now: str) -> Urgency:
        return standing(
            received_at=received, due_date=None, due_at=due_at, now=at(now), calendar=TAIWAN
        ).urgency

    assert urgency("2026-04-13 12:59") is Urgency.ON_TIME
    assert urgency("2026-04-13 13:00") is Urgency.DUE_SOON
    assert urgency("2026-04-13 14:00") is Urgency.OVERDUE


def test_the_due_soon_bound_agrees_with_the_queue_for_every_day() -> None:
    # For each moment of a fortnight (holidays and weekends included) and each due date near
    # it, a case is due soon by the agency view's bound exactly when the queue says so.
    for day in range(14):
        for hour in (0, 9, 23):
            now = at("2026-04-01 00:00") + timedelta(days=day, hours=hour)
            bound = due_soon_before(now, TAIWAN)
            for ahead in range(-2, 12):
                due = now.astimezone(TAIPEI).date() + timedelta(days=ahead)
                due_at = start_of_local_day(due + timedelta(days=1))
                if due_at <= now:
                    continue
                soon = day_limit(due, now.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M"))
                assert (soon.urgency is Urgency.DUE_SOON) == (due_at <= bound), (now, due)
