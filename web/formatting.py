"""Jinja filters that show stored values to a reader: in their language and in Taipei time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, ngettext

from tracker.limits import InvalidLimit, Unit, parse_limit
from web.i18n import current_locale, text_language
from web.wording import event_label, status_class, status_label

# Babel's own "long" forms read well in both languages; instants add the Taipei clock time.
_INSTANT = {"zh_TW": "y年M月d日 HH:mm", "en": "MMMM d, y, HH:mm"}


def localized(text: Mapping[str, str] | None) -> str:
    """The reader's language from a catalogue text ``{zh-TW: ..., en: ...}``, else the Chinese."""
    if not text:
        return ""
    return text.get(text_language()) or text.get("zh-TW") or ""


def day(value: date | str | None) -> str:
    """A calendar date, e.g. ``2026年4月24日`` / ``24 April 2026``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        # Stored event data says YYYY-MM-DD for day limits, an ISO instant for hour limits.
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return instant(value)
    return format_date(value, "long")


def instant(value: datetime | str | None) -> str:
    """An aware instant in Asia/Taipei (BABEL_DEFAULT_TIMEZONE), with the clock time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, _INSTANT[current_locale()])


def limit_words(limit: str) -> str:
    """A time limit as a reader says it: ``5wd`` → 5 個工作天 / 5 working days."""
    try:
        parsed = parse_limit(limit)
    except InvalidLimit:
        return limit
    n = parsed.amount
    if parsed.unit == Unit.WORKING_DAYS:
        return ngettext("%(num)d working day", "%(num)d working days", n)
    if parsed.unit == Unit.DAYS:
        return ngettext("%(num)d calendar day", "%(num)d calendar days", n)
    if parsed.unit == Unit.MONTHS:
        return ngettext("%(num)d month", "%(num)d months", n)
    if parsed.unit == Unit.HOURS:
        return ngettext("%(num)d hour", "%(num)d hours", n)
    return ngettext("%(num)d minute", "%(num)d minutes", n)


def init_formatting(app: Flask) -> None:
    """Register the filters (``localized``, ``day``, ``instant``, ``limit_words``) and globals."""
    app.jinja_env.filters.update(
        localized=localized, day=day, instant=instant, limit_words=limit_words
    )
    app.jinja_env.globals.update(
        status_label=status_label, status_class=status_class, event_label=event_label
    )
