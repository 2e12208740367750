"""Filing a case (收件): check the application, number it, start its clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.calendar.store import load_calendar
from tracker.cases.contact import CHANNELS, LANGUAGES, NOTIFY_BY, normalise_email, normalise_phone
from tracker.cases.deadline import apply_deadline
from tracker.cases.store import record_event
from tracker.deadlines.timezones import local_date, require_aware
from tracker.errors import InvalidInput
from tracker.identifiers import case_number, new_lookup_code
from tracker.lifecycle import CaseStatus
from tracker.models import Case, CaseCounter, Service
from tracker.notices.outbox import queue_case_notice
from tracker.text import clean_text, required_text
from tracker.watch.placement import rewatch

# A clock a few minutes fast must not make a fresh case look filed in the future.
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Application:
    """What the clerk types at the counter (or another system sends)."""

    service_code: str
    applicant_name: str
    phone: str | None = None
    email: str | None = None
    channel: str = "counter"
    language: str = "zh-TW"
    notify_by: str | None = None  # None: by SMS and/or email, whatever the applicant gave
    note: str | None = None


@dataclass(frozen=True)
class _Checked:
    """An application that passed every rule, its values normalised for storing."""

    service: Service
    name: str
    phone: str | None
    email: str | None
    notify_by: str
    note: str


def application_errors(
    session: Session,
    application: Application,
    *,
    now: datetime,
    received_at: datetime | None = None,
) -> dict[str, str]:
    """Every bad field of an application, without filing it: a form can show them all at once."""
    require_aware(now, "now")
    received_at = require_aware(received_at, "received_at") if received_at else now
    errors, _ = _check(session, application, now=now, received_at=received_at)
    return errors


def _check(
    session: Session, application: Application, *, now: datetime, received_at: datetime
) -> tuple[dict[str, str], _Checked | None]:
    errors: dict[str, str] = {}

    service = session.scalar(select(Service).where(Service.code == application.service_code))
    if service is None or not service.active or service.current_version is None:
        errors["service"] = f"there is no service '{application.service_code}' open for filing"

    name = _field(errors, "applicant_name", required_text, application.applicant_name, 100)
    phone, is_mobile = None, False
    if application.phone and application.phone.strip():
        try:
            phone, is_mobile = normalise_phone(application.phone)
        except ValueError as exc:
            errors["phone"] = str(exc)
    email = None
    if application.email and application.email.strip():
        try:
            email = normalise_email(application.email.strip())
        except ValueError as exc:
            errors["email"] = str(exc)

    if application.channel not in CHANNELS:
        errors["channel"] = f"must be one of {', '.join(CHANNELS)}"
    if application.language not in LANGUAGES:
        errors["language"] = f"must be one of {', '.join(LANGUAGES)}"

    notify_by = application.notify_by or _default_notify_by(is_mobile, email)
    if notify_by not in NOTIFY_BY:
        errors["notify_by"] = f"must be one of {', '.join(NOTIFY_BY)}"
    elif notify_by in ("sms", "both") and "phone" not in errors and not is_mobile:
        errors["phone"] = "a mobile number (09xx) is needed to notify by SMS"
    elif notify_by in ("email", "both") and "email" not in errors and not email:
        errors["email"] = "an email address is needed to notify by email"

    note = _field(errors, "note", clean_text, application.note, 2000)
    if received_at > now + _CLOCK_SKEW:
        errors["received_at"] = "cannot be in the future"

    if errors or service is None:
        return errors, None
    return errors, _Checked(service, name, phone, email, notify_by, note)


def file_case(
    session: Session,
    application: Application,
    *,
    actor: str,
    now: datetime,
    received_at: datetime | None = None,
) -> Case:
    """Create a case, or raise InvalidInput naming every bad field (nothing is written then)."""
    require_aware(now, "now")
    received_at = require_aware(received_at, "received_at") if received_at else now
    errors, checked = _check(session, application, now=now, received_at=received_at)
    if errors or checked is None:
        raise InvalidInput(errors)
    service = checked.service
    name, phone, email = checked.name, checked.phone, checked.email
    notify_by, note = checked.notify_by, checked.note
    assert service.current_version is not None

    day = local_date(received_at)
    calendar = load_calendar(session, service.department.agency_id)
    case = Case(
        number=case_number(day, _next_sequence(session, day)),
        lookup_code=new_lookup_code(),
        service=service,
        service_version=service.current_version,
        department_id=service.department_id,
        channel=application.channel,
        applicant_name=name,
        applicant_phone=phone,
        applicant_email=email,
        language=application.language,
        notify_by=notify_by,
        status=CaseStatus.RECEIVED,
        received_at=received_at,
        created_at=now,
        updated_at=now,
        pauses=[],
    )
    apply_deadline(case, calendar)
    rewatch(case, calendar)
    session.add(case)
    session.flush()
    record_event(
        session,
        case,
        actor=actor,
        kind="filed",
        at=now,
        public=True,
        note=note or None,
        data={"channel": application.channel, "limit": service.current_version.time_limit},
    )
    queue_case_notice(session, case, "receipt", trigger_at=received_at, now=now)
    return case


def _default_notify_by(is_mobile: bool, email: str | None) -> str:
    if is_mobile and email:
        return "both"
    if is_mobile:
        return "sms"
    return "email" if email else "none"


def _field(
    errors: dict[str, str],
    name: str,
    check: Callable[..., str],
    value: str | None,
    max_length: int,
) -> str:
    try:
        return check(value, max_length=max_length)
    except ValueError as exc:
        errors[name] = str(exc)
        return ""


def _next_sequence(session: Session, day: date) -> int:
    """The day's next running number, handed out atomically (an upsert, never read-then-write)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CaseCounter).values(day=day, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[CaseCounter.day], set_={"last": CaseCounter.last + 1}
    ).returning(CaseCounter.last)
    return int(session.execute(statement).scalar_one())
