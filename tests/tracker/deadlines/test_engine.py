from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.deadlines.engine import (
    ClockPolicy,
    Deadline,
    Pause,
    compute_deadline,
    working_days_left,
)
from tracker.deadlines.limits import DEFAULT_LIMIT, TimeLimit, Unit, parse_limit
from tracker.deadlines.timezones import TAIPEI
from tracker.deadlines.workcalendar import WorkCalendar

TAIWAN = WorkCalendar()


def at(text: str) -> datetime:
    """An Asia/Taipei instant from ``YYYY-MM-DD HH:MM`` (or a bare date, meaning 10:00)."""
    if len(text) == 10:
        text += " 10:00"
    return datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def due(
    received: str,
    limit: str,
    calendar: WorkCalendar = TAIWAN,
    pauses: tuple[tuple[str, str], ...] = (),
    clock: ClockPolicy = ClockPolicy.PAUSE,
    extension: str | None = None,
) -> str:
    """The displayed deadline; pauses as (requested, arrived) in the form ``at`` reads."""
    deadline = compute_deadline(
        at(received),
        parse_limit(limit),
        calendar,
        [Pause(at(start), at(end)) for start, end in pauses],
        clock,
        parse_limit(extension) if extension else None,
    )
    assert deadline is not None
    return deadline.display()


# --- the worked examples of DESIGN 4.3-4.4 ---


def test_working_days_skip_lunar_new_year_and_the_observed_holiday() -> None:
    deadline = compute_deadline(at("2026-02-13 10:00"), parse_limit("5wd"), TAIWAN)
    assert deadline == Deadline(date(2026, 3, 2), datetime(2026, 3, 3, tzinfo=TAIPEI))
    assert deadline.overdue_at.utcoffset() == timedelta(0)  # stored as UTC
    assert deadline.display() == "2026-03-02"


def test_one_month_ending_on_a_saturday_rolls_to_monday() -> None:
    # S = 05-21; the corresponding day 06-21 less one is 06-20, a Saturday.
    assert due("2026-05-20", "1mo") == "2026-06-22"


def test_supplement_pause_and_restart() -> None:
    # 04-14 is day 1 (the request day counts); 04-15..04-20 are paused; days 2-5: 04-21..04-24.
    assert due("2026-04-13", "5wd", pauses=(("2026-04-14", "2026-04-20"),)) == "2026-04-24"
    # restart: 5wd after 04-20 -> 04-21, 22, 23, 24, 27.
    restarted = due(
        "2026-04-13", "5wd", pauses=(("2026-04-14", "2026-04-20"),), clock=ClockPolicy.RESTART
    )
    assert restarted == "2026-04-27"


# --- the day of receipt ---


def test_receipt_at_night_or_on_a_day_off_changes_nothing() -> None:
    assert due("2026-02-13 23:59", "5wd") == "2026-03-02"
    assert due("2026-02-14 09:00", "5wd") == "2026-03-02"  # Saturday in the New Year break
    # 2026-02-12 16:30 UTC is 02-13 00:30 in Taipei: the receipt day is 02-13, not 02-12.
    deadline = compute_deadline(
        datetime(2026, 2, 12, 16, 30, tzinfo=UTC), parse_limit("5wd"), TAIWAN
    )
    assert deadline is not None
    assert deadline.due_date == date(2026, 3, 2)


def test_calendar_days_roll_forward_only_at_the_end() -> None:
    assert due("2026-05-20", "14d") == "2026-06-03"  # a Wednesday: no roll
    # 06-05 + 14 = 06-19, Dragon Boat Festival (Fri) -> Sat, Sun -> Monday 06-22.
    assert due("2026-06-05", "14d") == "2026-06-22"


# --- Art. 48 months, month ends ---


def test_month_without_the_corresponding_day_ends_on_its_last_day() -> None:
    # Received 01-30: S = 01-31; February has no 31st, so the period ends 02-28 (Sat) -> 03-02.
    assert due("2026-01-30", "1mo") == "2026-03-02"
    # Received 01-29: S = 01-30; no 30 February either -> 02-28 -> 03-02.
    assert due("2026-01-29", "1mo") == "2026-03-02"
    # Received 01-31: S = 02-01; the corresponding day 03-01 less one is 02-28 -> 03-02.
    assert due("2026-01-31", "1mo") == "2026-03-02"


def test_month_end_on_an_observed_holiday_rolls_past_it() -> None:
    # Received 01-27: S = 01-28 -> 02-28 less one = 02-27, the observed Peace Memorial Day (Fri),
    # then Sat and Sun -> Monday 03-02.
    assert due("2026-01-27", "1mo") == "2026-03-02"


def test_month_end_in_a_leap_year() -> None:
    # Received 2028-01-30: S = 01-31; February 2028 has 29 days -> 02-29 (Tue), a working day.
    assert due("2028-01-30", "1mo") == "2028-02-29"


def test_month_ending_on_a_working_month_end() -> None:
    # Received 03-30: S = 03-31; April has no 31st -> 04-30 (Thu), a working day.
    assert due("2026-03-30", "1mo") == "2026-04-30"
    # Received 08-31: S = 09-01; the day before 10-01 is 09-30 (Wed): a whole calendar month.
    assert due("2026-08-31", "1mo") == "2026-09-30"


def test_two_months_across_the_new_year() -> None:
    # Received 2026-12-31: S = 2027-01-01 -> 03-01 less one = 02-28 (Sun, Peace Memorial Day);
    # 03-01 is its observed day -> Tuesday 2027-03-02.
    assert due("2026-12-31", "2mo") == "2027-03-02"


def test_default_limit_is_two_months() -> None:
    # Art. 51: S = 05-21 -> 07-21 less one = 07-20 (Mon).
    deadline = compute_deadline(at("2026-05-20"), DEFAULT_LIMIT, TAIWAN)
    assert deadline is not None
    assert deadline.display() == "2026-07-20"


# --- pauses on day and month limits ---


def test_pause_moves_a_month_limit_by_the_paused_days() -> None:
    # (05-25, 05-28] = 3 paused days: 06-20 + 3 = 06-23 (Tue).
    assert due("2026-05-20", "1mo", pauses=(("2026-05-25", "2026-05-28"),)) == "2026-06-23"


def test_pause_moves_a_calendar_day_limit_before_the_roll() -> None:
    # 14d from 06-05 ends 06-19; 2 paused days -> 06-21 (Sun) -> 06-22.
    assert due("2026-06-05", "14d", pauses=(("2026-06-08", "2026-06-10"),)) == "2026-06-22"


def test_pause_requested_on_the_due_date_buys_no_time() -> None:
    # The request day still counts, so a request on the last day leaves the due date alone.
    assert due("2026-04-13", "5wd", pauses=(("2026-04-20", "2026-04-23"),)) == "2026-04-20"
    assert due("2026-05-20", "1mo", pauses=(("2026-06-22", "2026-06-25"),)) == "2026-06-22"


def test_pause_requested_on_the_receipt_day() -> None:
    # (04-13, 04-15] paused: 04-16, 17, 20, 21, 22.
    assert due("2026-04-13 10:00", "5wd", pauses=(("2026-04-13 15:00", "2026-04-15"),)) == (
        "2026-04-22"
    )
    # Documents the same day: nothing paused (04-14..04-17, 04-20).
    assert due("2026-04-13 10:00", "5wd", pauses=(("2026-04-13 11:00", "2026-04-13 16:00"),)) == (
        "2026-04-20"
    )


def test_several_pauses() -> None:
    # 04-14 day 1; (04-14, 04-16] paused; 04-17 day 2; 04-20 day 3; (04-20, 04-22] paused;
    # 04-23..04-30 days 4-9; 05-01 is Labor Day; 05-04 day 10.
    pauses = (("2026-04-14", "2026-04-16"), ("2026-04-20", "2026-04-22"))
    assert due("2026-04-13", "10wd", pauses=pauses) == "2026-05-04"
    # restart: only the latest pause matters: 10wd after 04-22 (skipping 05-01) -> 05-07.
    assert due("2026-04-13", "10wd", pauses=pauses, clock=ClockPolicy.RESTART) == "2026-05-07"


def test_restart_of_a_month_limit_can_end_before_the_paused_one() -> None:
    # Months are not all the same length. Received 01-30: S = 01-31, the period ends 02-28
    # (29 days); pause (01-30, 02-02] adds 3 days -> 03-03 (Tue). Restarted from 02-02 instead:
    # S = 02-03 -> 03-03 less one = 03-02 (Mon). Both follow the rules; hence the property
    # "restart is never earlier" below excludes month limits.
    pauses = (("2026-01-30 11:00", "2026-02-02"),)
    assert due("2026-01-30", "1mo", pauses=pauses) == "2026-03-03"
    assert due("2026-01-30", "1mo", pauses=pauses, clock=ClockPolicy.RESTART) == "2026-03-02"


def test_open_pause_means_no_deadline() -> None:
    waiting = [Pause(at("2026-04-14"), None)]
    assert compute_deadline(at("2026-04-13"), parse_limit("5wd"), TAIWAN, waiting) is None
    early = [Pause(at("2026-04-13 12:00"), None)]
    assert (
        compute_deadline(at("2026-04-13"), parse_limit("4h"), TAIWAN, early, ClockPolicy.RESTART)
        is None
    )
    done_then_waiting = [Pause(at("2026-04-14"), at("2026-04-15")), Pause(at("2026-04-16"), None)]
    assert compute_deadline(at("2026-04-13"), parse_limit("5wd"), TAIWAN, done_then_waiting) is None


def test_a_request_after_the_case_fell_due_does_not_hide_that_it_is_overdue() -> None:
    # 5wd from 04-13 is due 04-20; documents requested 04-22, still missing.
    late = [Pause(at("2026-04-22"), None)]
    deadline = compute_deadline(at("2026-04-13"), parse_limit("5wd"), TAIWAN, late)
    assert deadline is not None and deadline.display() == "2026-04-20"
    # On the due day itself the day still counts, so the clock stops as usual.
    on_the_day = [Pause(at("2026-04-20"), None)]
    assert compute_deadline(at("2026-04-13"), parse_limit("5wd"), TAIWAN, on_the_day) is None
    hours = [Pause(at("2026-04-14"), None)]
    deadline = compute_deadline(at("2026-04-13"), parse_limit("4h"), TAIWAN, hours)
    assert deadline is not None and deadline.display() == "2026-04-13T14:00:00+08:00"


# --- closures ---


def test_closure_is_not_a_working_day_for_working_day_limits() -> None:
    typhoon = WorkCalendar(closures=[date(2026, 4, 15)])
    assert due("2026-04-13", "5wd") == "2026-04-20"
    assert due("2026-04-13", "5wd", typhoon) == "2026-04-21"


def test_closure_pushes_calendar_day_limits_like_a_paused_day() -> None:
    assert due("2026-05-20", "14d", WorkCalendar(closures=[date(2026, 5, 27)])) == "2026-06-04"
    # A closure on the last day pushes it too; one after the period does nothing.
    assert due("2026-05-20", "14d", WorkCalendar(closures=[date(2026, 6, 3)])) == "2026-06-04"
    assert due("2026-05-20", "14d", WorkCalendar(closures=[date(2026, 6, 10)])) == "2026-06-03"


def test_closure_inside_a_pause_counts_once() -> None:
    pauses = (("2026-05-25", "2026-05-28"),)
    inside = WorkCalendar(closures=[date(2026, 5, 27)])
    assert due("2026-05-20", "1mo", inside, pauses=pauses) == "2026-06-23"  # still 3 days
    after = WorkCalendar(closures=[date(2026, 5, 29)])
    assert due("2026-05-20", "1mo", after, pauses=pauses) == "2026-06-24"  # 3 + 1


def test_closures_move_a_month_limit_before_the_last_day_rule() -> None:
    # 1mo from 05-20 ends 06-20 (Sat). One closure -> 06-21 (Sun) -> 06-22; two -> 06-22 itself;
    # three -> 06-23.
    june = [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]
    assert due("2026-05-20", "1mo", WorkCalendar(closures=june[:1])) == "2026-06-22"
    assert due("2026-05-20", "1mo", WorkCalendar(closures=june[:2])) == "2026-06-22"
    assert due("2026-05-20", "1mo", WorkCalendar(closures=june)) == "2026-06-23"


# --- hours and minutes ---


def test_hours_elapse_from_the_instant_of_receipt() -> None:
    deadline = compute_deadline(at("2026-03-02 10:00"), parse_limit("4h"), TAIWAN)
    assert deadline is not None
    assert deadline.due_date is None
    assert deadline.overdue_at == datetime(2026, 3, 2, 6, tzinfo=UTC)
    assert deadline.display() == "2026-03-02T14:00:00+08:00"


def test_hours_run_through_nights_weekends_and_holidays() -> None:
    assert due("2026-02-14 23:00", "2h") == "2026-02-15T01:00:00+08:00"
    assert due("2026-02-14 23:45", "30min") == "2026-02-15T00:15:00+08:00"


def test_hours_with_pause_and_restart() -> None:
    pauses = (("2026-03-02 11:00", "2026-03-02 13:30"),)
    assert due("2026-03-02 10:00", "4h", pauses=pauses) == "2026-03-02T16:30:00+08:00"
    restarted = due("2026-03-02 10:00", "4h", pauses=pauses, clock=ClockPolicy.RESTART)
    assert restarted == "2026-03-02T17:30:00+08:00"
    # A pause after the case fell due does not bring it back on time.
    late = (("2026-03-02 15:00", "2026-03-02 16:00"),)
    assert due("2026-03-02 10:00", "4h", pauses=late) == "2026-03-02T14:00:00+08:00"


def test_hours_stop_for_whole_closure_days() -> None:
    one = WorkCalendar(closures=[date(2026, 7, 9)])
    two = WorkCalendar(closures=[date(2026, 7, 9), date(2026, 7, 10)])
    # 20:00-24:00 runs 4h; 07-09 is closed; the other 4h run from 07-10 00:00.
    assert due("2026-07-08 20:00", "8h", one) == "2026-07-10T04:00:00+08:00"
    # The moved interval reaches the next closure and moves again.
    assert due("2026-07-08 20:00", "8h", two) == "2026-07-11T04:00:00+08:00"
    # Received during a closure: the clock starts when the closure ends.
    assert due("2026-07-09 10:00", "60min", one) == "2026-07-10T01:00:00+08:00"


def test_pause_overlapping_a_closure_is_not_counted_twice() -> None:
    # Runs 20:00-22:00 (2h); stopped 22:00 until the closure ends 07-10 00:00; 6h left.
    closed = WorkCalendar(closures=[date(2026, 7, 9)])
    pauses = (("2026-07-08 22:00", "2026-07-09 12:00"),)
    assert due("2026-07-08 20:00", "8h", closed, pauses=pauses) == "2026-07-10T06:00:00+08:00"


# --- extension ---


def test_extension_adds_the_same_unit() -> None:
    # 7wd from 04-13: 04-14..04-17, 04-20..04-22.
    assert due("2026-04-13", "5wd", extension="2wd") == "2026-04-22"
    assert due("2026-05-20", "1mo", extension="1mo") == "2026-07-20"  # as if 2mo
    assert due("2026-03-02 10:00", "4h", extension="4h") == "2026-03-02T18:00:00+08:00"


def test_extension_must_match_the_unit_and_not_exceed_the_limit() -> None:
    with pytest.raises(ValueError, match="cannot extend"):
        due("2026-04-13", "5wd", extension="5d")
    with pytest.raises(ValueError, match="at most the original limit"):
        due("2026-04-13", "5wd", extension="6wd")


def test_extension_beyond_the_limits_own_maximum_is_still_computed() -> None:
    # 500wd is the largest limit; 500wd + 500wd is a valid case, not an invalid TimeLimit.
    assert due("2026-04-13", "500wd", extension="500wd").startswith("2030-")


# --- refused inputs ---


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        compute_deadline(datetime(2026, 4, 13, 10), parse_limit("5wd"), TAIWAN)
    with pytest.raises(ValueError, match="time zone"):
        Pause(datetime(2026, 4, 14, 10), None)
    with pytest.raises(ValueError, match="time zone"):
        Pause(at("2026-04-14"), datetime(2026, 4, 15, 10))


def test_pause_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot end before it starts"):
        Pause(at("2026-04-20"), at("2026-04-14"))


def test_pause_sequences_that_make_no_sense_are_refused() -> None:
    limit = parse_limit("5wd")
    with pytest.raises(ValueError, match="precedes the receipt"):
        compute_deadline(at("2026-04-13"), limit, TAIWAN, [Pause(at("2026-04-10"), None)])
    overlapping = [Pause(at("2026-04-14"), at("2026-04-20")), Pause(at("2026-04-16"), None)]
    with pytest.raises(ValueError, match="must not overlap"):
        compute_deadline(at("2026-04-13"), limit, TAIWAN, overlapping)
    open_first = [Pause(at("2026-04-14"), None), Pause(at("2026-04-16"), at("2026-04-17"))]
    with pytest.raises(ValueError, match="only the latest pause"):
        compute_deadline(at("2026-04-13"), limit, TAIWAN, open_first)


# --- clerk queues ---


def test_working_days_left() -> None:
    assert working_days_left(date(2026, 2, 13), date(2026, 3, 2), TAIWAN) == 5
    assert working_days_left(date(2026, 3, 2), date(2026, 3, 2), TAIWAN) == 0
    assert working_days_left(date(2026, 3, 3), date(2026, 3, 2), TAIWAN) == -1
    # Due Friday 03-06: the Saturday after is already overdue, though no working day has passed.
    assert working_days_left(date(2026, 3, 7), date(2026, 3, 6), TAIWAN) == -1
    assert working_days_left(date(2026, 3, 9), date(2026, 3, 6), TAIWAN) == -1
    assert working_days_left(date(2026, 3, 10), date(2026, 3, 6), TAIWAN) == -2


# --- properties ---

properties = settings(max_examples=200, deadline=None)

_AMOUNTS = {
    Unit.WORKING_DAYS: 90,
    Unit.DAYS: 120,
    Unit.MONTHS: 24,
    Unit.HOURS: 72,
    Unit.MINUTES: 600,
}
DAY_UNITS = (Unit.WORKING_DAYS, Unit.DAYS, Unit.MONTHS)

received_ats = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(TAIPEI)
)
closure_sets = st.frozensets(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)), max_size=12
)


@st.composite
def limits(draw: st.DrawFn, units: tuple[Unit, ...] = tuple(Unit)) -> TimeLimit:
    unit = draw(st.sampled_from(units))
    return TimeLimit(draw(st.integers(min_value=1, max_value=_AMOUNTS[unit])), unit)


@st.composite
def pause_after(draw: st.DrawFn, received_at: datetime) -> Pause:
    """A completed pause requested up to 60 days after receipt, lasting up to 20 days."""
    start = received_at + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 60)))
    return Pause(start, start + timedelta(minutes=draw(st.integers(0, 20 * 24 * 60))))


def _deadline(*args: object, **kwargs: object) -> Deadline:
    deadline = compute_deadline(*args, **kwargs)  # type: ignore[arg-type]
    assert deadline is not None
    return deadline


@properties
@given(
    received_at=received_ats,
    limit=limits(DAY_UNITS),
    closures=closure_sets,
    clock=st.sampled_from(ClockPolicy),
    data=st.data(),
)
def test_day_limits_end_on_a_working_day_after_the_receipt_day(
    received_at: datetime,
    limit: TimeLimit,
    closures: frozenset[date],
    clock: ClockPolicy,
    data: st.DataObject,
) -> None:
    calendar = WorkCalendar(closures=closures)
    pauses = data.draw(st.lists(pause_after(received_at), max_size=1))
    deadline = _deadline(received_at, limit, calendar, pauses, clock)
    assert deadline.due_date is not None
    assert calendar.is_working_day(deadline.due_date)
    assert deadline.due_date > received_at.date()


@properties
@given(received_at=received_ats, limit=limits(), closures=closure_sets, data=st.data())
def test_pauses_never_make_a_deadline_earlier(
    received_at: datetime, limit: TimeLimit, closures: frozenset[date], data: st.DataObject
) -> None:
    calendar = WorkCalendar(closures=closures)
    pause = data.draw(pause_after(received_at))
    without = _deadline(received_at, limit, calendar)
    paused = _deadline(received_at, limit, calendar, [pause])
    assert paused.overdue_at >= without.overdue_at


@properties
@given(received_at=received_ats, limit=limits(), closures=closure_sets, data=st.data())
def test_closures_never_make_a_deadline_earlier(
    received_at: datetime, limit: TimeLimit, closures: frozenset[date], data: st.DataObject
) -> None:
    pauses = data.draw(st.lists(pause_after(received_at), max_size=1))
    clock = data.draw(st.sampled_from(ClockPolicy))
    without = _deadline(received_at, limit, TAIWAN, pauses, clock)
    closed = _deadline(received_at, limit, WorkCalendar(closures=closures), pauses, clock)
    assert closed.overdue_at >= without.overdue_at


@properties
@given(
    received_at=received_ats,
    amount=st.integers(min_value=1, max_value=120),
    closures=closure_sets,
    data=st.data(),
)
def test_more_days_end_later(
    received_at: datetime, amount: int, closures: frozenset[date], data: st.DataObject
) -> None:
    calendar = WorkCalendar(closures=closures)
    pauses = data.draw(st.lists(pause_after(received_at), max_size=1))

    def due_date(n: int, unit: Unit) -> date:
        deadline = _deadline(received_at, TimeLimit(n, unit), calendar, pauses)
        assert deadline.due_date is not None
        return deadline.due_date

    # Each working day is a distinct day; calendar days may share a rolled-forward due date.
    assert due_date(amount, Unit.WORKING_DAYS) < due_date(amount + 1, Unit.WORKING_DAYS)
    assert due_date(amount, Unit.DAYS) <= due_date(amount + 1, Unit.DAYS)


@properties
@given(received_at=received_ats, limit=limits(), closures=closure_sets, data=st.data())
def test_extension_never_makes_a_deadline_earlier(
    received_at: datetime, limit: TimeLimit, closures: frozenset[date], data: st.DataObject
) -> None:
    calendar = WorkCalendar(closures=closures)
    extension = TimeLimit(data.draw(st.integers(min_value=1, max_value=limit.amount)), limit.unit)
    plain = _deadline(received_at, limit, calendar)
    extended = _deadline(received_at, limit, calendar, extension=extension)
    assert extended.overdue_at >= plain.overdue_at


@properties
@given(
    received_at=received_ats,
    # Not months: see test_restart_of_a_month_limit_can_end_before_the_paused_one.
    limit=limits((Unit.WORKING_DAYS, Unit.DAYS, Unit.HOURS, Unit.MINUTES)),
    closures=closure_sets,
    data=st.data(),
)
def test_restart_is_never_earlier_than_pause(
    received_at: datetime, limit: TimeLimit, closures: frozenset[date], data: st.DataObject
) -> None:
    calendar = WorkCalendar(closures=closures)
    pause = data.draw(pause_after(received_at))
    paused = _deadline(received_at, limit, calendar, [pause], ClockPolicy.PAUSE)
    restarted = _deadline(received_at, limit, calendar, [pause], ClockPolicy.RESTART)
    assert restarted.overdue_at >= paused.overdue_at


@properties
@given(received_at=received_ats, limit=limits(), closures=closure_sets, data=st.data())
def test_overdue_comes_after_receipt(
    received_at: datetime, limit: TimeLimit, closures: frozenset[date], data: st.DataObject
) -> None:
    pauses = data.draw(st.lists(pause_after(received_at), max_size=1))
    clock = data.draw(st.sampled_from(ClockPolicy))
    deadline = _deadline(received_at, limit, WorkCalendar(closures=closures), pauses, clock)
    assert deadline.overdue_at > received_at
    assert deadline.overdue_at.utcoffset() == timedelta(0)
