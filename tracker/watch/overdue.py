"""What the overdue notice (逾期主動告知) says: the reason, the expected completion, and which
of them the clerk did not give (DESIGN §4.6).

The clerk's reason and promise come first. Where the clerk recorded no reason, the service's
default reason is told, in each reader's language; where there is no promise, or the promise
has passed, a date by the documented rule (``default_expected_completion``). Either way the
clerk is asked to confirm what the rule chose. Pure: the facts and the current instant in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker.deadlines.limits import TimeLimit
from tracker.deadlines.timezones import local_date
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.text import in_language
from tracker.watch.rules import default_expected_completion


def reason_for_delay(clerk_reason: str | None, default: Mapping[str, str], language: str) -> str:
    """The reason a reader is told: the clerk's as typed, else the service's in their language."""
    return clerk_reason or in_language(default, language)


@dataclass(frozen=True, slots=True)
class OverdueAccount:
    """The account an overdue case owes its applicant, and what the clerk should confirm."""

    clerk_reason: str | None
    default_reason: Mapping[str, str]
    expected_completion: date
    date_is_default: bool

    @property
    def reason_is_default(self) -> bool:
        """The clerk recorded no reason: the service's default is told."""
        return not self.clerk_reason

    @property
    def needs_confirmation(self) -> bool:
        """Something was chosen by rule: the clerk is asked to confirm or correct it."""
        return self.reason_is_default or self.date_is_default

    def reason(self, language: str) -> str:
        """The reason in ``language`` (the clerk's own text is told as typed)."""
        return reason_for_delay(self.clerk_reason, self.default_reason, language)

    def values(self, language: str) -> dict[str, Any]:
        """What the applicant's notice says beside the case's common values."""
        return {
            "reason": self.reason(language),
            "expected_completion": self.expected_completion.isoformat(),
        }

    def staff_values(self, language: str) -> dict[str, Any]:
        """What the clerk's notice says: the same, and which parts the rule chose."""
        return {
            **self.values(language),
            "reason_is_default": self.reason_is_default,
            "date_is_default": self.date_is_default,
        }

    def event_data(self, language: str, trigger_at: datetime) -> dict[str, Any]:
        """The timeline event's data; a default reason keeps its text in every language, so
        each reader of the timeline gets theirs (web.core.formatting.event_note)."""
        data: dict[str, Any] = {
            **self.values(language),
            "trigger_at": trigger_at.isoformat(),
            "by_rule": self.date_is_default,
        }
        if self.reason_is_default:
            data["note_texts"] = dict(self.default_reason)
        return data


def account_for_overdue(
    *,
    clerk_reason: str | None,
    default_reason: Mapping[str, str],
    promised: date | None,
    due_date: date | None,
    trigger_at: datetime,
    now: datetime,
    limit: TimeLimit,
    calendar: WorkCalendar,
) -> OverdueAccount:
    """The account for an overdue trigger at ``trigger_at``, handled at ``now``."""
    today = local_date(now)
    if promised is not None and promised >= today:
        return OverdueAccount(clerk_reason, default_reason, promised, date_is_default=False)
    # No promise recorded, or the promise has passed: promise by the documented rule.
    base = promised or due_date or local_date(trigger_at)
    expected = default_expected_completion(base, trigger_at, limit, calendar)
    if expected < today:
        # The watch is catching up (a case filed with an earlier receipt, or the watch was down
        # for days): a date already past is no promise. The same rule, from today.
        expected = default_expected_completion(today, now, limit, calendar)
    return OverdueAccount(clerk_reason, default_reason, expected, date_is_default=True)
