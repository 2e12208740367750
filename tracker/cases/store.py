"""Loading, locking and recording: the small pieces every case operation shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import Conflict, NotFound
from tracker.lifecycle import CaseStatus
from tracker.models import Case, CaseEvent


def get_case(session: Session, number: str) -> Case:
    """The case with this number, or NotFound."""
    case = session.scalar(select(Case).where(Case.number == number.strip()))
    if case is None:
        raise NotFound(f"There is no case numbered {number}.", number=number)
    return case


def lock_case(session: Session, case_id: int, expected_version: int | None = None) -> Case:
    """The case, re-read under a row lock so that two clerks act one after the other.

    ``expected_version`` is the version the clerk's screen showed: if somebody changed the case
    since, acting on an outdated picture is refused rather than silently applied.
    """
    case = session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    )
    if case is None:
        raise NotFound(f"There is no case with id {case_id}.", case_id=case_id)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            f"Case {case.number} was changed by someone else meanwhile; reload it and try again.",
            number=case.number,
        )
    return case


def record_event(
    session: Session,
    case: Case,
    *,
    actor: str,
    kind: str,
    at: datetime,
    note: str | None = None,
    public: bool = False,
    from_status: CaseStatus | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one line to the case's timeline."""
    event = CaseEvent(
        case_id=case.id,
        at=at,
        actor=actor,
        kind=kind,
        from_status=from_status.value if from_status else None,
        to_status=case.status.value if from_status and from_status != case.status else None,
        public=public,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event
