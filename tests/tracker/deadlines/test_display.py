"""Dates as government documents write them: 民國 in Chinese, 7 Dec 2026 in English."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.deadlines.display import written, written_date, written_instant, written_soon


@pytest.mark.parametrize(
    ("day", "chinese", "english"),
    [
        (date(2026, 12, 7), "115年12月7日", "7 Dec 2026"),
        (date(2026, 1, 31), "115年1月31日", "31 Jan 2026"),
        (date(1912, 1, 1), "1年1月1日", "1 Jan 1912"),  # 民國元年
        (date(2011, 10, 10), "100年10月10日", "10 Oct 2011"),
    ],
)
def test_a_date_in_each_language(day: date, chinese: str, english: str) -> None:
    assert written_date(day, "zh-TW") == chinese
    assert written_date(day, "zh_TW") == chinese  # as Babel spells the locale
    assert written_date(day, "en") == english
    assert written_date(day, "en-GB") == english


def test_before_the_republic_counts_back() -> None:
    assert written_date(date(1911, 6, 1), "zh-TW") == "民國前1年6月1日"


def test_an_instant_is_written_in_taipei_time() -> None:
    instant = datetime(2026, 12, 6, 18, 30, tzinfo=UTC)  # 02:30 the next day in Taipei
    assert written_instant(instant, "zh-TW") == "115年12月7日 02:30"
    assert written_instant(instant, "en") == "7 Dec 2026 02:30"


def test_a_naive_instant_is_refused_by_the_instant_writer() -> None:
    with pytest.raises(ValueError, match="time zone"):
        written_instant(datetime(2026, 12, 7, 10, 0), "zh-TW")


def test_stored_text_is_read_as_a_date_or_an_instant() -> None:
    assert written("2026-04-20", "zh-TW") == "115年4月20日"
    assert written("2026-04-13T14:00:00+08:00", "en") == "13 Apr 2026 14:00"
    # Instants the database gives back without a zone are UTC.
    assert written(datetime(2026, 4, 13, 6, 0), "zh-TW") == "115年4月13日 14:00"
    assert written("not a date", "en") == "not a date"
    assert written(None, "en") == ""


def test_a_time_soon_is_given_by_its_clock_alone() -> None:
    now = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # 22:00 in Taipei
    tomorrow_morning = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 09:00
    assert written_soon(tomorrow_morning, now, "zh-TW") == "09:00"
    later = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    assert written_soon(later, now, "en") == "10 Dec 2026 09:00"
