"""Working days used and days paused, counted as the deadline engine counts (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.deadlines.days_used import DaysUsed, days_used
from tracker.deadlines.engine import Pause
from tracker.deadlines.workcalendar import WorkCalendar

CALENDAR = WorkCalendar()


def at(day: str, hour: int = 10) -> datetime:
    """``day`` at ``hour`` o'clock Taipei time, as an aware UTC datetime."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC) - timedelta(hours=8)


def test_the_day_of_receipt_does_not_count() -> None:
    assert days_used(at("2026-04-13"), at("2026-04-13", 16), [], CALENDAR) == DaysUsed(0, 0)
    assert days_used(at("2026-04-13"), at("2026-04-17"), [], CALENDAR) == DaysUsed(4, 0)


def test_weekends_and_holidays_do_not_count() -> None:
    # Fri 2026-02-13 to Mon 03-02: Lunar New Year and the observed 02-27 are skipped (DESIGN 4.3).
    assert days_used(at("2026-02-13"), at("2026-03-02"), [], CALENDAR).working_days == 5


def test_a_pause_belongs_to_the_applicant() -> None:
    # DESIGN 4.4's example: request 04-14, documents 04-20; days in (04-14, 04-20] never count.
    pause = Pause(at("2026-04-14"), at("2026-04-20"))
    assert days_used(at("2026-04-13"), at("2026-04-24"), [pause], CALENDAR) == DaysUsed(5, 6)


def test_a_pause_open_at_closing_ends_with_the_case() -> None:
    pause = Pause(at("2026-04-14"), None)
    assert days_used(at("2026-04-13"), at("2026-04-17"), [pause], CALENDAR) == DaysUsed(1, 3)


def test_two_pauses() -> None:
    pauses = [Pause(at("2026-04-14"), at("2026-04-15")), Pause(at("2026-04-16"), at("2026-04-21"))]
    # (04-13, 04-24]: 9 working days; paused (04-14, 04-15] and (04-16, 04-21]: 1 + 3 working.
    assert days_used(at("2026-04-13"), at("2026-04-24"), pauses, CALENDAR) == DaysUsed(5, 6)
