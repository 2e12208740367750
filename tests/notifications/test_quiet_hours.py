"""SMS quiet hours: when a message waits, and why the console says it waits."""

from __future__ import annotations

from datetime import UTC, datetime, time

from notifications.quiet_hours import quiet_until, sms_held_until

QUIET = (time(21, 0), time(9, 0))
NIGHT = datetime(2026, 4, 13, 14, 0, tzinfo=UTC)  # 22:00 in Taipei
MORNING = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)  # 09:00 in Taipei
NOON = datetime(2026, 4, 14, 4, 0, tzinfo=UTC)


def test_quiet_hours_end_in_the_morning() -> None:
    assert quiet_until(NIGHT, QUIET) == MORNING
    assert quiet_until(NOON, QUIET) is None
    assert quiet_until(NIGHT, None) is None


def test_an_sms_written_at_night_is_held_until_the_morning() -> None:
    assert sms_held_until("sms", "pending", NIGHT, NIGHT, QUIET) == MORNING


def test_an_sms_dispatch_held_is_recognised_until_it_goes() -> None:
    assert sms_held_until("sms", "pending", MORNING, NIGHT, QUIET) == MORNING
    assert sms_held_until("sms", "pending", MORNING, MORNING, QUIET) is None  # due now


def test_nothing_else_is_held() -> None:
    assert sms_held_until("email", "pending", NIGHT, NIGHT, QUIET) is None
    assert sms_held_until("sms", "sent", NIGHT, NIGHT, QUIET) is None
    assert sms_held_until("sms", "pending", NOON, NOON, QUIET) is None
    assert sms_held_until("sms", "pending", NIGHT, NIGHT, None) is None
    # A retry a few seconds later by day is a retry, not a hold.
    retry = datetime(2026, 4, 14, 4, 0, 15, tzinfo=UTC)
    assert sms_held_until("sms", "pending", retry, NOON, QUIET) is None
