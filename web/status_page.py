"""What the citizen status page shows of a case: public facts only, gathered in one place.

Nothing here reads the applicant's phone, email or address, and the timeline query selects
public events only, so an internal note cannot reach the page by a template slip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Case, CaseEvent
from tracker.privacy import mask_name
from tracker.transitions import CaseStatus


@dataclass(frozen=True)
class PublicEvent:
    """One public line of the timeline."""

    at: datetime
    kind: str
    note: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class PublicPause:
    """The open supplement request: what is missing and by when."""

    items: list[str]
    supplement_due: date


@dataclass(frozen=True)
class CaseStatusPage:
    """Everything the status page shows, and nothing else."""

    number: str
    masked_name: str
    service_name: dict[str, str]
    agency_name: dict[str, str]
    department_name: dict[str, str]
    department_phone: str | None
    status: str
    is_open: bool
    overdue: bool
    steps: list[dict[str, str]]
    current_step: int
    received_at: datetime
    due_date: date | None
    due_at: datetime | None
    closed_at: datetime | None
    pause: PublicPause | None
    overdue_reason: str | None
    default_overdue_reason: dict[str, str]
    expected_completion: date | None
    timeline: list[PublicEvent]

    @property
    def finished(self) -> bool:
        """Completed: every step is done."""
        return self.status == CaseStatus.COMPLETED

    @property
    def step_count(self) -> int:
        """How many steps the SOP has."""
        return len(self.steps)

    @property
    def steps_done(self) -> int:
        """Steps behind the case, counting the current one as reached (for the progress bar)."""
        if self.finished:
            return self.step_count
        return min(self.current_step + 1, self.step_count)


def load_status_page(session: Session, case_id: int, now: datetime) -> CaseStatusPage | None:
    """The public view of case ``case_id`` at ``now``, or None if it no longer exists."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    events = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.public.is_(True))
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
    ).all()
    version = case.service_version
    department = case.department
    open_pause = case.pauses[-1] if case.pauses and case.pauses[-1].resumed_at is None else None
    overdue = case.is_open and case.due_at is not None and now >= case.due_at
    return CaseStatusPage(
        number=case.number,
        masked_name=mask_name(case.applicant_name),
        service_name=version.name,
        agency_name=department.agency.name,
        department_name=department.name,
        department_phone=department.phone,
        status=case.status.value,
        is_open=case.is_open,
        overdue=overdue,
        steps=list(version.steps),
        current_step=case.current_step,
        received_at=case.received_at,
        due_date=case.due_date,
        due_at=case.due_at,
        closed_at=case.closed_at,
        pause=(
            PublicPause(list(open_pause.items), open_pause.supplement_due)
            if open_pause is not None and case.status == CaseStatus.AWAITING_SUPPLEMENT
            else None
        ),
        overdue_reason=case.overdue_reason,
        default_overdue_reason=version.overdue_reason,
        expected_completion=case.expected_completion,
        timeline=[PublicEvent(e.at, e.kind, e.note, dict(e.data or {})) for e in events],
    )
