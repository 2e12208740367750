"""What clerks do to a case after filing (DESIGN §4.4–4.5).

Every action takes the row lock first, checks the transition, changes the case and appends an
event, all in the caller's transaction: either everything happens or nothing does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from tracker.calendar.store import load_calendar
from tracker.cases.closing_figures import record_closing_figures
from tracker.cases.deadline import apply_deadline
from tracker.cases.store import lock_case, record_event
from tracker.deadlines.engine import compute_deadline
from tracker.deadlines.limits import InvalidLimit, TimeLimit, parse_limit
from tracker.deadlines.timezones import local_date, require_aware
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.errors import IllegalTransition, InvalidInput
from tracker.lifecycle import Action, CaseStatus, next_status
from tracker.models import Agency, Case, Department, Pause
from tracker.notices.outbox import queue_case_notice
from tracker.text import clean_text, in_language, required_text
from tracker.watch.placement import rewatch

NOTE_MAX = 2000
# The satisfaction survey invitation follows the ready notice after a day, not on its heels.
SURVEY_DELAY = timedelta(days=1)


@dataclass
class _Step:
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


def _begin(
    session: Session,
    case_id: int,
    action: Action,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None,
) -> _Step:
    """Lock the case and check that ``action`` is allowed from its status."""
    case = lock_case(session, case_id, expected_version)
    return _Step(session, case, case.status, next_status(case.status, action), actor, now)


def _text(name: str, value: str | None, *, required: bool = False) -> str:
    check = required_text if required else clean_text
    try:
        return check(value, max_length=NOTE_MAX)
    except ValueError as exc:
        raise InvalidInput({name: str(exc)}) from None


def start(
    session: Session,
    case_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    public: bool = False,
    expected_version: int | None = None,
) -> Case:
    """Start work on a received case."""
    step = _begin(
        session, case_id, Action.START, actor=actor, now=now, expected_version=expected_version
    )
    return step.finish(
        "started",
        note=_text("note", note),
        public=public,
    )


def advance_step(
    session: Session,
    case_id: int,
    step: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    public: bool = True,
    expected_version: int | None = None,
) -> Case:
    """Move the case to step ``step`` (0-based) of its SOP."""
    action = _begin(
        session,
        case_id,
        Action.ADVANCE_STEP,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    steps = action.case.service_version.steps
    if not 0 <= step < len(steps):
        raise InvalidInput({"step": f"must be between 1 and {len(steps)}"})
    action.case.current_step = step
    return action.finish("step", note=_text("note", note), public=public, data={"step": step})


def request_supplement(
    session: Session,
    case_id: int,
    items: Sequence[str],
    *,
    actor: str,
    now: datetime,
    deadline: date | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Ask for every missing document at once (補正); the clock stops until they arrive."""
    step = _begin(
        session,
        case_id,
        Action.REQUEST_SUPPLEMENT,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    case = step.case
    clean_items = [_text("items", item) for item in items]
    clean_items = [item for item in clean_items if item]
    if not clean_items:
        raise InvalidInput({"items": "list every missing document (at least one)"})
    calendar = step.calendar
    if deadline is None:
        limit = parse_limit(case.service_version.supplement_deadline)
        computed = compute_deadline(now, limit, calendar)
        assert computed is not None and computed.due_date is not None
        deadline = computed.due_date
    elif deadline <= local_date(now):
        raise InvalidInput({"deadline": "the supplement deadline must be after today"})
    case.pauses.append(
        Pause(requested_at=now, items=clean_items, supplement_due=deadline, resumed_at=None)
    )
    apply_deadline(case, calendar)
    return step.finish(
        "supplement_requested",
        note=_text("note", note),
        public=True,
        data={"items": clean_items, "supplement_due": deadline.isoformat()},
        notice="supplement",
        notice_values={"items": clean_items, "supplement_due": deadline.isoformat()},
    )


def receive_supplement(
    session: Session,
    case_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """The documents arrived: the clock runs again (or restarts, as the SOP says)."""
    step = _begin(
        session,
        case_id,
        Action.RECEIVE_SUPPLEMENT,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    case = step.case
    pause = case.pauses[-1]
    pause.resumed_at = max(require_aware(now, "now"), pause.requested_at)
    deadline = apply_deadline(case, step.calendar)
    return step.finish(
        "supplement_received",
        note=_text("note", note),
        public=True,
        data={"due": deadline.display() if deadline else None},
    )


def extend(
    session: Session,
    case_id: int,
    extension: str | TimeLimit,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Extend once (展延), before the case is overdue, by at most its original limit."""
    step = _begin(
        session, case_id, Action.EXTEND, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    reason = _text("reason", reason, required=True)
    limit = parse_limit(case.service_version.time_limit)
    try:
        amount = extension if isinstance(extension, TimeLimit) else parse_limit(extension)
    except InvalidLimit as exc:
        raise InvalidInput({"extension": str(exc)}) from None
    if case.extension is not None:
        raise IllegalTransition(
            f"Case {case.number} has already been extended once; the law allows one extension."
        )
    if case.due_at is not None and now >= case.due_at:
        raise IllegalTransition(
            f"Case {case.number} is already overdue; an extension must be recorded before that."
        )
    if amount.unit != limit.unit or amount.amount > limit.amount:
        raise InvalidInput(
            {"extension": f"may be at most the original limit, {limit} (same unit, {limit.unit})"}
        )
    old_due = case.due_date.isoformat() if case.due_date else None
    case.extension = str(amount)
    case.extension_reason = reason
    deadline = apply_deadline(case, step.calendar)
    return step.finish(
        "extended",
        note=reason,
        public=True,
        data={
            "extension": str(amount),
            "old_due": old_due,
            "due": deadline.display() if deadline else None,
        },
        notice="extension",
        notice_values={"reason": reason, "new_due_date": deadline.display() if deadline else ""},
    )


def set_overdue_info(
    session: Session,
    case_id: int,
    reason: str,
    expected_completion: date,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Record why the case is late and when it is expected to be done (逾期原因, 預計完成時間)."""
    step = _begin(
        session,
        case_id,
        Action.SET_OVERDUE_INFO,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    case = step.case
    reason = _text("reason", reason, required=True)
    if expected_completion < local_date(now):
        raise InvalidInput({"expected_completion": "cannot be in the past"})
    case.overdue_reason = reason
    case.expected_completion = expected_completion
    return step.finish(
        "overdue_info",
        note=reason,
        public=True,
        data={"expected_completion": expected_completion.isoformat()},
    )


def transfer(
    session: Session,
    case_id: int,
    department: str,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Hand the case to another of our departments (``agency/department``); it stays open."""
    step = _begin(
        session, case_id, Action.TRANSFER, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    reason = _text("reason", reason, required=True)
    agency_code, _, dept_code = department.partition("/")
    target = session.scalar(
        select(Department)
        .join(Agency)
        .where(Agency.code == agency_code, Department.code == dept_code)
    )
    if target is None:
        raise InvalidInput({"department": f"there is no department '{department}'"})
    if target.id == case.department_id:
        raise InvalidInput({"department": "the case is already with that department"})
    old = case.department.path
    case.department = target
    case.assigned_user_id = None
    # Another agency means another calendar: its closures now apply.
    apply_deadline(case, step.calendar)
    return step.finish(
        "transferred",
        note=reason,
        public=True,
        data={"from": old, "to": target.path},
        notice="transferred",
        notice_values={
            "transferred_to": in_language(target.name, case.language),
            "reason": reason,
            "new_contact": target.phone or "",
        },
    )


def transfer_out(
    session: Session,
    case_id: int,
    agency_name: str,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Send the case to an agency outside this system (移文); our part of it ends."""
    step = _begin(
        session,
        case_id,
        Action.TRANSFER_OUT,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    reason = _text("reason", reason, required=True)
    to = _text("agency", agency_name, required=True)
    return step.finish(
        "transferred_out",
        note=reason,
        public=True,
        data={"to": to},
        notice="transferred",
        notice_values={"transferred_to": to, "reason": reason, "new_contact": ""},
    )


def complete(
    session: Session,
    case_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """The case is done (辦結); the note is the result the applicant is told."""
    step = _begin(
        session, case_id, Action.COMPLETE, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    case.current_step = len(case.service_version.steps) - 1
    result = _text("note", note)
    department = case.department
    step.finish(
        "completed",
        note=result,
        public=True,
        notice="ready",
        notice_values={
            "result": result,
            "pickup_place": in_language(department.address, case.language),
            "pickup_hours": in_language(department.hours, case.language),
        },
    )
    queue_case_notice(
        session, case, "survey", trigger_at=now, now=now, not_before=now + SURVEY_DELAY
    )
    return case


def reject(
    session: Session,
    case_id: int,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Reject (駁回) with the reason the applicant is told."""
    step = _begin(
        session, case_id, Action.REJECT, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    reason = _text("reason", reason, required=True)
    if case.pauses and case.pauses[-1].resumed_at is None:
        # The pause ends with the case, so reports never count a rejected case as still paused.
        case.pauses[-1].resumed_at = now
    return step.finish(
        "rejected",
        note=reason,
        public=True,
        notice="rejected",
        notice_values={"reason": reason},
    )


# 行政程序法 Art. 173: the grounds on which a petition may be left unhandled, by its items.
DECLINE_GROUNDS = (
    "no_identity",  # (1) no concrete content, or no real name or address
    "repeated",  # (2) the same matter was properly handled and clearly answered already
    "not_competent",  # (3) not ours, and sent on the same matter to several agencies
)


def decline(
    session: Session,
    case_id: int,
    ground: str,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Close a petition as not handled (不予處理, Art. 173), with the ground and the reason."""
    step = _begin(
        session, case_id, Action.DECLINE, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    if case.service.kind != "petition":
        # Art. 173 is about petitions (陳情); an application is decided: rejected, with appeal.
        raise IllegalTransition(
            f"Case {case.number} is an application, not a petition: only petitions may be "
            "closed as not handled (Art. 173); reject an application instead.",
            action=Action.DECLINE.value,
            kind=case.service.kind,
        )
    if ground not in DECLINE_GROUNDS:
        raise InvalidInput({"ground": f"must be one of {', '.join(DECLINE_GROUNDS)}"})
    reason = _text("reason", reason, required=True)
    if case.pauses and case.pauses[-1].resumed_at is None:
        case.pauses[-1].resumed_at = now
    return step.finish(
        "not_handled",
        note=reason,
        public=True,
        data={"ground": ground},
        notice="not_handled",
        notice_values={"reason": reason, "ground": ground},
    )


def withdraw(
    session: Session,
    case_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """The applicant withdrew the application (撤回)."""
    step = _begin(
        session, case_id, Action.WITHDRAW, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    if case.pauses and case.pauses[-1].resumed_at is None:
        case.pauses[-1].resumed_at = now
    return step.finish(
        "withdrawn",
        note=_text("note", note),
        public=True,
    )


def add_note(
    session: Session,
    case_id: int,
    note: str,
    *,
    public: bool,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """A public note (the applicant sees it) or an internal one."""
    step = _begin(
        session, case_id, Action.NOTE, actor=actor, now=now, expected_version=expected_version
    )
    return step.finish(
        "note",
        note=_text("note", note, required=True),
        public=public,
    )
