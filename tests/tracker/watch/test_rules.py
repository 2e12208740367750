"""The watch rules, pure: which triggers a case has and the promise made by rule."""

from __future__ import annotations

from datetime import date, datetime

from tracker.deadlines.limits import parse_limit
from tracker.deadlines.timezones import TAIPEI
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.lifecycle import CaseStatus
from tracker.watch.rules import WatchState, default_expected_completion, next_watch_at, triggers

TAIWAN = WorkCalendar()


def tpe(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def state(**kw: object) -> WatchState:
    values: dict[str, object] = {
        "status": CaseStatus.IN_PROGRESS,
        "received_at": tpe("2026-04-13 10:00"),
        "limit": parse_limit("5wd"),
        "due_date": date(2026, 4, 20),
        "due_at": tpe("2026-04-21 00:00"),
    }
    values.update(kw)
    return WatchState(**values)  # type: ignore[arg-type]


def test_a_running_case_is_warned_then_overdue() -> None:
    found = [(t.at, t.kind) for t in triggers(state(), TAIWAN)]
    # The working day before Monday 04-20 is Friday 04-17.
    assert found == [(tpe("2026-04-17 08:00"), "due_soon"), (tpe("2026-04-21 00:00"), "overdue")]


def test_closed_cases_have_no_triggers() -> None:
    for status in (CaseStatus.COMPLETED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN):
        assert triggers(state(status=status), TAIWAN) == []


def test_a_promise_adds_a_trigger_the_day_after_it() -> None:
    found = triggers(state(expected_completion=date(2026, 4, 30)), TAIWAN)
    assert found[-1].at == tpe("2026-05-01 00:00") and found[-1].kind == "overdue"
    # A promise on or before the due date adds nothing: the overdue notice covers it.
    assert len(triggers(state(expected_completion=date(2026, 4, 20)), TAIWAN)) == 2


def test_short_limits_get_no_warning() -> None:
    quick = state(limit=parse_limit("30min"), due_date=None, due_at=tpe("2026-04-13 10:30"))
    assert [t.kind for t in triggers(quick, TAIWAN)] == ["overdue"]
    one_day = state(limit=parse_limit("1wd"), due_date=date(2026, 4, 14))
    assert [t.kind for t in triggers(one_day, TAIWAN)] == ["overdue"]


def test_supplement_triggers() -> None:
    paused = state(
        status=CaseStatus.AWAITING_SUPPLEMENT,
        due_date=None,
        due_at=None,
        supplement_requested_at=tpe("2026-04-14 10:00"),
        supplement_due=date(2026, 4, 24),
    )
    assert [(t.at, t.kind) for t in triggers(paused, TAIWAN)] == [
        (tpe("2026-04-22 09:00"), "supplement_reminder"),
        (tpe("2026-04-25 00:00"), "supplement_lapsed"),
    ]


def test_next_watch_is_strictly_after() -> None:
    assert next_watch_at(state(), TAIWAN, tpe("2026-04-17 08:00")) == tpe("2026-04-21 00:00")
    assert next_watch_at(state(), TAIWAN, tpe("2026-04-21 00:00")) is None


def test_default_promise_is_half_the_limit_again() -> None:
    due = date(2026, 4, 20)
    overdue = tpe("2026-04-21 00:00")
    assert default_expected_completion(due, overdue, parse_limit("5wd"), TAIWAN) == date(
        2026, 4, 23
    )
    assert default_expected_completion(due, overdue, parse_limit("14d"), TAIWAN) == date(
        2026, 4, 27
    )  # 04-27 is a Monday
    assert default_expected_completion(due, overdue, parse_limit("1mo"), TAIWAN) == date(2026, 5, 5)
    quick = tpe("2026-04-13 10:30")
    assert default_expected_completion(None, quick, parse_limit("30min"), TAIWAN) == date(
        2026, 4, 13
    )
    # Friday evening, four hours: two more hours end on Friday night → the next working day.
    late = tpe("2026-04-17 23:00")
    assert default_expected_completion(None, late, parse_limit("4h"), TAIWAN) == date(2026, 4, 20)
