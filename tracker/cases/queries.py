"""Reading cases for the console: queues, search, a case's timeline and notices."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from tracker.cases.contact import normalise_phone
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Case, CaseEvent, Department, Notice, User

QUEUE_LIMIT = 500
SEARCH_LIMIT = 50
_NUMBER = re.compile(r"^\d{4,8}(-\d{0,4})?$")
_PHONE = re.compile(r"^\+?[\d\s().-]{4,20}$")
# The last digits a clerk may search a phone number by: four, as people say "the one ending 5678".
PHONE_TAIL_DIGITS = 4


def _open_by_due() -> Select[tuple[Case]]:
    # Paused cases have no due instant: they go last, in filing order.
    return (
        select(Case)
        .where(Case.status.in_(OPEN_STATUSES))
        .order_by(Case.due_at.asc().nulls_last(), Case.received_at, Case.id)
        .limit(QUEUE_LIMIT)
    )


def department_queue(session: Session, department_id: int) -> Sequence[Case]:
    """The department's open cases, soonest due first."""
    return session.scalars(_open_by_due().where(Case.department_id == department_id)).all()


def assigned_queue(session: Session, user_id: int) -> Sequence[Case]:
    """The open cases assigned to one user, soonest due first."""
    return session.scalars(_open_by_due().where(Case.assigned_user_id == user_id)).all()


def search_cases(
    session: Session, text: str, *, department_ids: Collection[int] | None
) -> Sequence[Case]:
    """Cases matching a case number, a phone number or part of a name, newest first.

    ``department_ids`` limits the search to what the asker may see (None: everywhere).
    """
    text = text.strip()
    if not text:
        return []
    conditions = []
    if _NUMBER.match(text):
        conditions.append(Case.number.startswith(text, autoescape=True))
    if _PHONE.match(text):
        digits = re.sub(r"\D", "", text)
        with contextlib.suppress(ValueError):  # not a whole number: the partial match below
            conditions.append(Case.applicant_phone == normalise_phone(text)[0])
        if len(digits) >= PHONE_TAIL_DIGITS:
            # A partial number: its last digits. Stored numbers are +886 without the trunk 0,
            # which only a number typed from its start has (0912…); "0678" are last digits.
            tail = digits[1:] if digits.startswith("0") and len(digits) >= 9 else digits
            conditions.append(Case.applicant_phone.endswith(tail, autoescape=True))
    if not conditions:
        conditions.append(Case.applicant_name.contains(text, autoescape=True))
    query = (
        select(Case)
        .where(or_(*conditions))
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(SEARCH_LIMIT)
    )
    if department_ids is not None:
        query = query.where(Case.department_id.in_(department_ids))
    return session.scalars(query).all()


def case_timeline(session: Session, case_id: int) -> Sequence[CaseEvent]:
    """Every event of a case, oldest first."""
    return session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    ).all()


def case_notices(session: Session, case_id: int) -> Sequence[Notice]:
    """Every notice of a case, newest first."""
    return session.scalars(
        select(Notice)
        .where(Notice.case_id == case_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
    ).all()


def department_users(session: Session, department_id: int) -> Sequence[User]:
    """The active users of a department, by name."""
    return session.scalars(
        select(User)
        .where(User.department_id == department_id, User.active.is_(True))
        .order_by(User.username)
    ).all()


def all_departments(session: Session) -> Sequence[Department]:
    """Every department, by agency and code."""
    return sorted(session.scalars(select(Department)).all(), key=lambda d: d.path)
