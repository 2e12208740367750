"""Who handles a case (承辦人): assigning it to a user of the department that has it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from tracker.cases.store import lock_case, record_event
from tracker.errors import IllegalTransition, InvalidInput
from tracker.models import Case, User


def assign(
    session: Session,
    case_id: int,
    user_id: int | None,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Give an open case to a user of its department; an internal event records it."""
    case = lock_case(session, case_id, expected_version)
    if not case.is_open:
        raise IllegalTransition(f"Case {case.number} is closed; it cannot be assigned.")
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active or user.department_id != case.department_id:
        raise InvalidInput({"user": "assign the case to an active user of its department"})
    case.assigned_user_id = user.id
    case.updated_at = now
    # Like every action, an assignment bumps the version: screens that predate it are stale.
    flag_modified(case, "updated_at")
    record_event(
        session,
        case,
        actor=actor,
        kind="assigned",
        at=now,
        public=False,
        data={"user": user.username},
    )
    session.flush()
    return case
