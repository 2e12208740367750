"""Jinja filters that show stored values to a reader: in their language and in Taipei time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol

from flask import Flask
from flask_babel import ngettext

from tracker.deadlines.display import written
from tracker.deadlines.limits import InvalidLimit, Unit, parse_limit
from tracker.text import in_language
from tracker.watch.overdue import reason_for_delay
from web.core.i18n import current_locale, text_language
from web.core.wording import event_label, status_class, status_label


def localized(text: Mapping[str, str] | None) -> str:
    """The reader's language from a catalogue text ``{zh-TW: ..., en: ...}``, else the Chinese."""
    return in_language(text, text_language())


class TimelineEvent(Protocol):
    """What ``event_note`` reads of a timeline entry (a case event, or its public view)."""

    @property
    def note(self) -> str | None: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


def event_note(event: TimelineEvent) -> str | None:
    """A timeline entry's note for this reader.

    A person's words are shown as written. Words the product wrote itself (the service's
    default overdue reason, the line of a re-timing) are kept in the event's ``note_texts`` in
    every language, so the citizen and the clerk each read them in theirs; the stored note is
    their Chinese.
    """
    texts = (event.data or {}).get("note_texts")
    if isinstance(texts, Mapping):
        return localized(texts) or event.note
    return event.note


def day(value: date | str | None) -> str:
    """A calendar date as documents write it: ``115年4月24日`` / ``24 Apr 2026``."""
    return written(value, current_locale())


def instant(value: datetime | str | None) -> str:
    """An instant in Asia/Taipei with the clock time (a naive one is taken as UTC)."""
    return written(value, current_locale())


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


def delay_reason(clerk_reason: str | None, default: Mapping[str, str] | None) -> str:
    """The reason for delay in the reader's language (tracker.watch.overdue decides which)."""
    return reason_for_delay(clerk_reason, default or {}, text_language())


def init_formatting(app: Flask) -> None:
    """Register the filters (``localized``, ``day``, ``instant``, ``limit_words``) and globals."""
    app.jinja_env.filters.update(
        localized=localized, day=day, instant=instant, limit_words=limit_words
    )
    app.jinja_env.globals.update(
        status_label=status_label,
        status_class=status_class,
        event_label=event_label,
        event_note=event_note,
        delay_reason=delay_reason,
    )
