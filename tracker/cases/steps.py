"""One action on a case as one transaction's work: lock, check, change, record, tell.

Every action takes the row lock first, checks the transition (tracker.lifecycle), changes the
case and appends an event, all in the caller's transaction: either everything happens or nothing
does. The actions themselves are in ``tracker.cases.actions`` (work on an open case) and
``tracker.cases.closing`` (how a case ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from tracker.calendar.store import load_calendar
from tracker.cases.closing_figures import record_closing_figures
from tracker.cases.store import lock_case, record_event
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.errors import InvalidInput
from tracker.lifecycle import Action, CaseStatus, next_status
from tracker.models import Case
from tracker.notices.outbox import queue_case_notice
from tracker.text import clean_text, required_text
from tracker.watch.placement import rewatch

NOTE_MAX = 2000


@dataclass
class Step:
    """One action under way: the locked case, the status it had and the one it gets."""

    session: Session
    case: Case
    before: CaseStatus
    after: CaseStatus
    actor: str
    now: datetime

    @property
    def calendar(self) -> WorkCalendar:
        """The calendar of the agency now handling the case."""
        return load_calendar(self.session, self.case.department.agency_id)

    def finish(
        self,
        kind: str,
        *,
        note: str | None,
        public: bool,
        data: dict[str, object] | None = None,
        notice: str | None = None,
        notice_values: dict[str, Any] | None = None,
    ) -> Case:
        """Record the change: status, version, event, the watch, and the applicant's notice."""
        case, now = self.case, self.now
        case.status = self.after
        case.updated_at = now
        # Every action bumps the version, even one that only adds an event (a note): a clerk
        # acting on a screen that predates it should look again.
        flag_modified(case, "updated_at")
        if not case.is_open and case.closed_at is None:
            case.closed_at = now
            record_closing_figures(case, self.calendar)
        rewatch(case, self.calendar)
        if notice is not None:
            queue_case_notice(
                self.session, case, notice, trigger_at=now, now=now, extra=notice_values
            )
        record_event(
            self.session,
            case,
            actor=self.actor,
            kind=kind,
            at=now,
            note=note or None,
            public=public,
            from_status=self.before,
            data=data,
        )
        self.session.flush()
        return case


def begin(
    session: Session,
    case_id: int,
    action: Action,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None,
) -> Step:
    """Lock the case and check that ``action`` is allowed from its status."""
    case = lock_case(session, case_id, expected_version)
    return Step(session, case, case.status, next_status(case.status, action), actor, now)


class Checks:
    """An action's input checked whole: every bad field is named in one refusal, so a clerk
    corrects them all at once instead of one per try."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def text(self, name: str, value: str | None, *, required: bool = False) -> str:
        """A note, reason or item as typed, checked; "" (and a problem) when it is not right."""
        check = required_text if required else clean_text
        try:
            return check(value, max_length=NOTE_MAX)
        except ValueError as exc:
            self.refuse(name, str(exc))
            return ""

    def refuse(self, name: str, problem: str) -> None:
        """Record a problem with field ``name`` (the first one found for it stands)."""
        self.problems.setdefault(name, problem)

    def done(self) -> None:
        """Refuse the action, as InvalidInput naming every bad field, if any was found."""
        if self.problems:
            raise InvalidInput(dict(self.problems))


def checked_text(name: str, value: str | None, *, required: bool = False) -> str:
    """One text checked alone (see ``Checks`` for several); refused as InvalidInput."""
    checks = Checks()
    text = checks.text(name, value, required=required)
    checks.done()
    return text


def end_open_pause(case: Case, now: datetime) -> None:
    """A case that ends while waiting for documents ends its pause too, so that reports never
    count a closed case as still paused."""
    if case.pauses and case.pauses[-1].resumed_at is None:
        case.pauses[-1].resumed_at = now
