"""Calendar changes that move deadlines: closures (停止上班, e.g. typhoons) and DGPA imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.accounts.audit import record_closure
from tracker.calendar.dgpa import DgpaDay
from tracker.calendar.retiming import Retimed, retime_open_cases
from tracker.calendar.store import bump_revision, store_dgpa_days
from tracker.errors import InvalidInput
from tracker.models import Agency, Closure
from tracker.text import required_text


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
    remote_addr: str | None = None,
) -> ClosureResult:
    """Close the offices (one agency, or the whole city) on ``day`` and re-time open cases."""
    reason = _reason(reason)
    agency_id = _agency_id(session, agency_code)
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
    retimed = _retime_day(
        session,
        day,
        agency_id,
        actor=actor,
        now=now,
        # The product's words around the administrator's, which stay as typed.
        note={
            "zh-TW": f"{day.isoformat()} 停止上班：{reason}",
            "en": f"{day.isoformat()} office closure: {reason}",
        },
        cause={"closure_day": day.isoformat(), "reason": reason},
    )
    # Every closure is in the audit log, whether the console, the command line or the API
    # declared it: who, when, which day and scope, why, and how many cases moved.
    record_closure(
        session,
        actor=actor,
        at=now,
        day=day,
        agency_code=agency_code,
        reason=reason,
        retimed=len(retimed),
        remote_addr=remote_addr,
        withdrawn=False,
    )
    return ClosureResult(closure.id, retimed)


def withdraw_closure(
    session: Session,
    day: date,
    *,
    reason: str,
    actor: str,
    now: datetime,
    agency_code: str | None = None,
    remote_addr: str | None = None,
) -> ClosureResult:
    """Withdraw the closure of ``day`` (one agency's, or the city's) and re-time open cases.

    For a closure announced and then called off (a typhoon that turned away), or declared by
    mistake: the day counts again, and every open case it had moved gets its due date back, its
    applicant told the new date once (a new trigger: a later declaration tells them again). A
    closure whose day has passed may be withdrawn too: only a mistake is withdrawn, and a case
    that is then overdue is told so by the deadline watch, as any other.
    """
    reason = _reason(reason)
    agency_id = _agency_id(session, agency_code)
    scope = Closure.agency_id.is_(None) if agency_id is None else Closure.agency_id == agency_id
    # Locked: of two withdrawals at once, the second finds nothing left to withdraw.
    closure = session.scalar(select(Closure).where(Closure.day == day, scope).with_for_update())
    if closure is None:
        where = f"for {agency_code}" if agency_code else "city-wide"
        raise InvalidInput({"day": f"no closure is declared on {day} {where}"})
    closure_id = closure.id
    session.delete(closure)
    session.flush()
    retimed = _retime_day(
        session,
        day,
        agency_id,
        actor=actor,
        now=now,
        note={
            "zh-TW": f"{day.isoformat()} 停止上班已取消：{reason}",
            "en": f"{day.isoformat()} office closure withdrawn: {reason}",
        },
        cause={"closure_day": day.isoformat(), "reason": reason, "withdrawn": True},
    )
    # Every closure is in the audit log, whether the console, the command line or the API
    # declared it: who, when, which day and scope, why, and how many cases moved.
    record_closure(
        session,
        actor=actor,
        at=now,
        day=day,
        agency_code=agency_code,
        reason=reason,
        retimed=len(retimed),
        remote_addr=remote_addr,
        withdrawn=True,
    )
    return ClosureResult(closure_id, retimed)


def _retime_day(
    session: Session,
    day: date,
    agency_id: int | None,
    *,
    actor: str,
    now: datetime,
    note: dict[str, str],
    cause: dict[str, Any],
) -> list[Retimed]:
    """After ``day`` changed in the calendar (of one agency, or the city's): a new calendar
    revision for every process, and the open cases that day touches re-timed."""
    bump_revision(session)
    return retime_open_cases(
        session, day, day, agency_id=agency_id, actor=actor, now=now, note=note, cause=cause
    )


def _reason(reason: str) -> str:
    try:
        return required_text(reason, max_length=500)
    except ValueError as exc:
        raise InvalidInput({"reason": str(exc)}) from None


def _agency_id(session: Session, agency_code: str | None) -> int | None:
    """The id of agency ``agency_code`` (None for the whole city); unknown codes are refused."""
    if agency_code is None:
        return None
    agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
    if agency_id is None:
        raise InvalidInput({"agency": f"there is no agency '{agency_code}'"})
    return agency_id


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
