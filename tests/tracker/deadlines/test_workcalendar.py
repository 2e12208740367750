from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.deadlines.workcalendar import WorkCalendar

TAIWAN = WorkCalendar()
quick = settings(max_examples=150, deadline=None)


def test_make_up_saturday_is_a_working_day() -> None:
    # 2025-02-08 (Sat) was worked to make up for the Lunar New Year bridge day 2025-01-27.
    assert TAIWAN.is_working_day(date(2025, 2, 8))
    assert not TAIWAN.is_working_day(date(2025, 2, 9))  # the Sunday after stays off
    assert not TAIWAN.is_working_day(date(2025, 1, 27))


def test_weekends_holidays_and_observed_days_are_off() -> None:
    assert TAIWAN.is_working_day(date(2026, 2, 23))  # Monday after the Lunar New Year break
    assert not TAIWAN.is_working_day(date(2026, 2, 17))  # Lunar New Year
    assert not TAIWAN.is_working_day(date(2026, 2, 27))  # Peace Memorial Day, observed (Fri)
    assert not TAIWAN.is_working_day(date(2026, 6, 20))  # Saturday


def test_dgpa_override_wins_over_the_holidays_package() -> None:
    calendar = WorkCalendar(overrides={date(2026, 3, 2): False, date(2026, 2, 28): True})
    assert not calendar.is_working_day(date(2026, 3, 2))  # a Monday declared off
    assert calendar.is_working_day(date(2026, 2, 28))  # a holiday Saturday declared worked
    assert not calendar.is_closure(date(2026, 3, 2))  # a day off is not a closure


def test_closure_wins_over_holidays_and_overrides() -> None:
    typhoon = date(2026, 7, 8)
    calendar = WorkCalendar(overrides={typhoon: True}, closures=[typhoon])
    assert not calendar.is_working_day(typhoon)
    assert calendar.is_closure(typhoon)
    assert calendar.closures == frozenset({typhoon})
    assert not TAIWAN.is_closure(typhoon)


def test_nth_working_day_skips_lunar_new_year_and_the_observed_holiday() -> None:
    # 02-23, 02-24, 02-25, 02-26 are days 1-4; 02-27 is off; 03-02 is day 5.
    assert TAIWAN.nth_working_day_after(date(2026, 2, 13), 5) == date(2026, 3, 2)
    assert TAIWAN.nth_working_day_after(date(2026, 2, 13), 1) == date(2026, 2, 23)


def test_nth_working_day_refuses_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TAIWAN.nth_working_day_after(date(2026, 2, 13), 0)


def test_next_working_day_on_or_after() -> None:
    assert TAIWAN.next_working_day_on_or_after(date(2026, 6, 20)) == date(2026, 6, 22)
    assert TAIWAN.next_working_day_on_or_after(date(2026, 6, 22)) == date(2026, 6, 22)


def test_working_days_between_counts_the_half_open_interval() -> None:
    assert TAIWAN.working_days_between(date(2026, 2, 13), date(2026, 3, 2)) == 5
    assert TAIWAN.working_days_between(date(2026, 2, 13), date(2026, 2, 13)) == 0
    assert TAIWAN.working_days_between(date(2026, 3, 2), date(2026, 2, 13)) == 0
    # (Fri, Mon]: the Friday is excluded, the Monday included.
    assert TAIWAN.working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1


def test_closures_between_and_after() -> None:
    closures = [date(2026, 7, 8), date(2026, 7, 9), date(2026, 9, 1)]
    calendar = WorkCalendar(closures=closures)
    assert calendar.closures_between(date(2026, 7, 8), date(2026, 9, 1)) == 2  # (07-08, 09-01]
    assert calendar.closures_between(date(2026, 1, 1), date(2026, 12, 31)) == 3
    assert calendar.closures_between(date(2026, 9, 1), date(2026, 7, 8)) == 0
    assert calendar.closures_after(date(2026, 7, 8)) == [date(2026, 7, 9), date(2026, 9, 1)]


def test_counting_crosses_years_and_cached_years_grow_both_ways() -> None:
    calendar = WorkCalendar()
    # 2026-12-31 (Thu) -> 2027-01-01 is Founding Day; 01-04 (Mon) is the first working day.
    assert calendar.nth_working_day_after(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert calendar.working_days_between(date(2024, 12, 31), date(2031, 1, 1)) == (
        TAIWAN.working_days_between(date(2024, 12, 31), date(2031, 1, 1))
    )
    # A long count near the end of the cached years extends them on demand.
    assert calendar.nth_working_day_after(date(2031, 12, 1), 400) > date(2033, 1, 1)


def test_outside_the_supported_years_is_refused() -> None:
    with pytest.raises(ValueError, match="1950-2200"):
        TAIWAN.is_working_day(date(1949, 12, 31))
    with pytest.raises(ValueError, match="1950-2200"):
        TAIWAN.nth_working_day_after(date(2200, 12, 20), 30)
    with pytest.raises(ValueError, match="1950-2200"):
        WorkCalendar(closures=[date(2201, 1, 1)])


def test_calendar_does_not_change_when_its_inputs_do() -> None:
    overrides = {date(2026, 3, 2): False}
    closures = [date(2026, 7, 8)]
    calendar = WorkCalendar(overrides=overrides, closures=closures)
    overrides[date(2026, 3, 3)] = False
    closures.append(date(2026, 7, 9))
    assert calendar.is_working_day(date(2026, 3, 3))
    assert not calendar.is_closure(date(2026, 7, 9))
    with pytest.raises(TypeError):
        calendar.overrides[date(2026, 3, 4)] = False  # type: ignore[index]


def test_from_predicate_uses_the_given_base() -> None:
    every_day = WorkCalendar.from_predicate(lambda day: True, closures=[date(2026, 2, 17)])
    assert every_day.is_working_day(date(2026, 2, 14))  # a Saturday, worked in this base
    assert every_day.nth_working_day_after(date(2026, 2, 15), 3) == date(2026, 2, 19)


@quick
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    span=st.integers(min_value=0, max_value=60),
    closures=st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 3, 31)), max_size=8),
)
def test_bisect_answers_match_a_day_by_day_walk(
    start: date, span: int, closures: set[date]
) -> None:
    calendar = WorkCalendar(closures=closures)
    end = start + timedelta(days=span)
    walked = [
        start + timedelta(days=i)
        for i in range(1, span + 1)
        if calendar.is_working_day(start + timedelta(days=i))
    ]
    assert calendar.working_days_between(start, end) == len(walked)
    for n, day in enumerate(walked, start=1):
        assert calendar.nth_working_day_after(start, n) == day
    assert calendar.closures_between(start, end) == sum(start < c <= end for c in closures)
    for closure in closures:
        assert not calendar.is_working_day(closure)
