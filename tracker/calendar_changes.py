"""Calendar changes that move deadlines: closures (停止上班, e.g. typhoons) and DGPA imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.calendar_store import bump_revision, store_dgpa_days
from tracker.dgpa import DgpaDay
from tracker.errors import InvalidInput
from tracker.models import Agency, Closure
from tracker.retiming import Retimed, retime_open_cases
from tracker.text_rules import required_text


@dataclass(frozen=True)
class ClosureResult:
    closure_id: int
    retimed: list[Retimed]


def declare_closure(
    session: Session,
    day: date,
    *,
    reason: str,
    actor: str,
    now: datetime,
    agency_code: str | None = None,
) -> ClosureResult:
    """Close the offices (one agency, or the whole city) on ``day`` and re-time open cases."""
    try:
        reason = required_text(reason, max_length=500)
    except ValueError as exc:
        raise InvalidInput({"reason": str(exc)}) from None
    agency_id = None
    if agency_code is not None:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
        if agency_id is None:
            raise InvalidInput({"agency": f"there is no agency '{agency_code}'"})
    existing = session.scalars(select(Closure).where(Closure.day == day)).all()
    if any(c.agency_id is None for c in existing):
        raise InvalidInput({"day": f"{day} is already declared closed city-wide"})
    if agency_id is not None and any(c.agency_id == agency_id for c in existing):
        raise InvalidInput({"day": f"{day} is already declared closed for {agency_code}"})

    closure = Closure(
        day=day, agency_id=agency_id, reason=reason, declared_by=actor, declared_at=now
    )
    session.add(closure)
    session.flush()
    bump_revision(session)
    retimed = retime_open_cases(
        session,
        day,
        day,
        agency_id=agency_id,
        actor=actor,
        now=now,
        # The product's words around the administrator's, which stay as typed.
        note={
            "zh-TW": f"{day.isoformat()} 停止上班：{reason}",
            "en": f"{day.isoformat()} office closure: {reason}",
        },
        cause={"closure_day": day.isoformat(), "reason": reason},
    )
    return ClosureResult(closure.id, retimed)


# Why an import moved a due date, in our own words: so in each applicant's language.
DGPA_UPDATE_REASON = {"zh-TW": "行政機關辦公日曆表更新", "en": "Office calendar updated"}


@dataclass(frozen=True)
class ImportResult:
    changed_days: list[date]
    retimed: list[Retimed]


def import_dgpa_calendar(
    session: Session, days: Sequence[DgpaDay], *, source: str, actor: str, now: datetime
) -> ImportResult:
    """Store the official calendar and re-time open cases whose days it changed."""
    changed = store_dgpa_days(session, days, now)
    retimed: list[Retimed] = []
    if changed:
        retimed = retime_open_cases(
            session,
            min(changed),
            max(changed),
            agency_id=None,
            actor=actor,
            now=now,
            note={
                "zh-TW": "行政機關辦公日曆表已更新。",
                "en": "The official office calendar was updated.",
            },
            cause={"calendar": source, "reason": DGPA_UPDATE_REASON},
        )
    return ImportResult(changed, retimed)
