"""Dates as notices, receipts and pages write them (DESIGN §4.6).

Taiwanese government documents date things in the 民國 (Republic of China) calendar: year 1 is
1912, so 2026-12-07 is ``115年12月7日``. English readers get ``7 Dec 2026``: day first and the
month in letters, which no reader can take for 12 July. An instant adds its Taipei clock time
(``115年12月7日 14:00``, ``7 Dec 2026 14:00``). Notices, receipts, the citizen's pages and the
console all call these functions, so a date reads the same wherever it is shown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tracker.deadlines.timezones import TAIPEI, require_aware

# 民國元年 is 1912: the 民國 year is the Gregorian year less this.
MINGUO_OFFSET = 1911
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _is_english(language: str) -> bool:
    # Languages come as the catalogue and notices spell them (zh-TW, en) or as Babel's locales
    # (zh_TW, en, en_GB): anything English reads English, everything else reads Chinese.
    return language.lower().startswith("en")


def written_date(day: date, language: str) -> str:
    """``115年12月7日`` in Chinese, ``7 Dec 2026`` in English."""
    if _is_english(language):
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    year = day.year - MINGUO_OFFSET
    # Before 1912 the calendar counts back (民國前1年 is 1911): only a typing slip gets here.
    era = f"{year}年" if year > 0 else f"民國前{1 - year}年"
    return f"{era}{day.month}月{day.day}日"


def written_instant(instant: datetime, language: str) -> str:
    """The Taipei date and clock time of an aware instant: ``115年12月7日 14:00``."""
    local = require_aware(instant, "instant").astimezone(TAIPEI)
    return f"{written_date(local.date(), language)} {local.hour:02d}:{local.minute:02d}"


def written_soon(instant: datetime, now: datetime, language: str) -> str:
    """An instant in the next day or so by its clock time alone (``09:00``, as in "held until
    09:00"); one further off with its date too."""
    local = require_aware(instant, "instant").astimezone(TAIPEI)
    if (local.date() - require_aware(now, "now").astimezone(TAIPEI).date()).days <= 1:
        return f"{local.hour:02d}:{local.minute:02d}"
    return written_instant(instant, language)


def written(value: date | datetime | str | None, language: str) -> str:
    """A date, an instant (naive: UTC), or either as stored ISO 8601 text, written as above.

    Text that is neither comes back unchanged; None is "".
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed: date | datetime = (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            )
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # as the database keeps instants
        return written_instant(value, language)
    return written_date(value, language)
