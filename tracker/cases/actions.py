"""What clerks do to an open case (DESIGN §4.4–4.5): start, steps, supplements, extension,
the overdue account, transfer within the city, notes. Each is one ``Step`` (tracker.cases.steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.cases.deadline import apply_deadline, supplement_deadline
from tracker.cases.steps import Checks, begin, checked_text
from tracker.deadlines.limits import InvalidLimit, TimeLimit, parse_limit
from tracker.deadlines.timezones import local_date, require_aware
from tracker.errors import IllegalTransition, InvalidInput
from tracker.lifecycle import Action
from tracker.models import Agency, Case, Department, Pause
from tracker.text import in_language


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
    step = begin(
        session, case_id, Action.START, actor=actor, now=now, expected_version=expected_version
    )
    return step.finish(
        "started",
        note=checked_text("note", note),
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
    action = begin(
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
    return action.finish(
        "step", note=checked_text("note", note), public=public, data={"step": step}
    )


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
    step = begin(
        session,
        case_id,
        Action.REQUEST_SUPPLEMENT,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    case = step.case
    checks = Checks()
    clean_items = [checks.text("items", item) for item in items]
    clean_items = [item for item in clean_items if item]
    if not clean_items:
        checks.refuse("items", "list every missing document (at least one)")
    if deadline is not None and deadline <= local_date(now):
        checks.refuse("deadline", "the supplement deadline must be after today")
    note = checks.text("note", note)
    checks.done()
    calendar = step.calendar
    if deadline is None:
        period = parse_limit(case.service_version.supplement_deadline)
        deadline = supplement_deadline(now, period, calendar)
    case.pauses.append(
        Pause(requested_at=now, items=clean_items, supplement_due=deadline, resumed_at=None)
    )
    apply_deadline(case, calendar)
    return step.finish(
        "supplement_requested",
        note=note,
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
    step = begin(
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
        note=checked_text("note", note),
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
    step = begin(
        session, case_id, Action.EXTEND, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    checks = Checks()
    reason = checks.text("reason", reason, required=True)
    limit = parse_limit(case.service_version.time_limit)
    amount: TimeLimit | None = None
    try:
        amount = extension if isinstance(extension, TimeLimit) else parse_limit(extension)
    except InvalidLimit as exc:
        checks.refuse("extension", str(exc))
    if amount is not None and (amount.unit != limit.unit or amount.amount > limit.amount):
        checks.refuse(
            "extension", f"may be at most the original limit, {limit} (same unit, {limit.unit})"
        )
    if case.extension is not None:
        raise IllegalTransition(
            f"Case {case.number} has already been extended once; the law allows one extension."
        )
    if case.due_at is not None and now >= case.due_at:
        raise IllegalTransition(
            f"Case {case.number} is already overdue; an extension must be recorded before that."
        )
    checks.done()
    assert amount is not None
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
    expected_completion: date | None,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Record why the case is late and when it is expected to be done (逾期原因, 預計完成時間)."""
    step = begin(
        session,
        case_id,
        Action.SET_OVERDUE_INFO,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    case = step.case
    checks = Checks()
    reason = checks.text("reason", reason, required=True)
    if expected_completion is None:
        checks.refuse("expected_completion", "is required")
    elif expected_completion < local_date(now):
        checks.refuse("expected_completion", "cannot be in the past")
    checks.done()
    assert expected_completion is not None
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
    step = begin(
        session, case_id, Action.TRANSFER, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    checks = Checks()
    reason = checks.text("reason", reason, required=True)
    agency_code, _, dept_code = department.partition("/")
    target = session.scalar(
        select(Department)
        .join(Agency)
        .where(Agency.code == agency_code, Department.code == dept_code)
    )
    if target is None:
        checks.refuse("department", f"there is no department '{department}'")
    elif target.id == case.department_id:
        checks.refuse("department", "the case is already with that department")
    checks.done()
    assert target is not None
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
    step = begin(
        session, case_id, Action.NOTE, actor=actor, now=now, expected_version=expected_version
    )
    return step.finish(
        "note",
        note=checked_text("note", note, required=True),
        public=public,
    )
