"""Writing notices to the outbox (DESIGN §4.6): one row per recipient channel, at most once.

A notice is written in the same transaction as the change that causes it. Its dedupe key is
(case, kind, trigger instant, channel) under a unique constraint, and rows are inserted with
ON CONFLICT DO NOTHING: two writers racing (two sweeps, a retried task) cannot both add it.
Rendering and sending happen later, in ``notifications``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.bulk import staged
from tracker.cases.contact import mask_name
from tracker.cases.identifiers import format_lookup_code
from tracker.deadlines.engine import Deadline
from tracker.models import Case, Notice

# Kinds the applicant receives (DESIGN §4.6); the others go to the department's staff. Every
# kind has its templates in notifications/templates/.
APPLICANT_KINDS = (
    "receipt",
    "supplement",
    "supplement_reminder",
    "extension",
    "overdue",
    "ready",
    "rejected",
    "not_handled",
    "transferred",
    "survey",
    "retimed",
)
STAFF_KINDS = ("due_soon", "supplement_lapsed", "overdue_clerk")
# Staff read the console and the department's mailbox in the office's language, whatever the
# applicant chose: their notices say every catalogue text in it.
STAFF_LANGUAGE = "zh-TW"

PENDING, SENDING, SENT, DELIVERED, FAILED, TASK = (
    "pending",
    "sending",
    "sent",
    "delivered",
    "failed",
    "task",
)
FINAL_STATUSES = frozenset({DELIVERED, FAILED, TASK, "undelivered"})


def dedupe_key(case_id: int, kind: str, trigger_at: datetime, channel: str) -> str:
    """The identity of a notice: the same trigger never makes a second one."""
    return f"{case_id}:{kind}:{trigger_at.isoformat()}:{channel}"


def applicant_channels(
    notify_by: str, phone: str | None, email: str | None
) -> list[tuple[str, str | None]]:
    """(channel, address) pairs the applicant asked for; a letter task when none is usable."""
    found: list[tuple[str, str | None]] = []
    if notify_by in ("sms", "both") and phone:
        found.append(("sms", phone))
    if notify_by in ("email", "both") and email:
        found.append(("email", email))
    return found or [("letter", None)]


def staff_channels(department_email: str | None) -> list[tuple[str, str | None]]:
    """Staff notices always reach the console; the department's mailbox too, if it has one."""
    found: list[tuple[str, str | None]] = [("console", None)]
    if department_email:
        found.append(("email", department_email))
    return found


def notice_language(kind: str, applicant_language: str) -> str:
    """The language notice ``kind`` is written in: the applicant's, or the staff's for theirs."""
    return STAFF_LANGUAGE if kind in STAFF_KINDS else applicant_language


def notice_rows(
    *,
    case_id: int,
    kind: str,
    trigger_at: datetime,
    now: datetime,
    language: str,
    values: Mapping[str, Any],
    channels: Iterable[tuple[str, str | None]],
    not_before: datetime | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows for one notice, one per channel."""
    audience = "staff" if kind in STAFF_KINDS else "applicant"
    # One payload for every channel of the notice: the rows are written, never changed here.
    payload = dict(values)
    return [
        {
            "case_id": case_id,
            "kind": kind,
            "channel": channel,
            "audience": audience,
            "dedupe_key": dedupe_key(case_id, kind, trigger_at, channel),
            # A letter is a task for the clerk: nothing for the dispatcher to send.
            "status": TASK if channel == "letter" else PENDING,
            "recipient": address,
            "language": notice_language(kind, language),
            "payload": payload,
            "trigger_at": trigger_at,
            "created_at": now,
            "not_before": not_before or now,
            "attempts": 0,
        }
        for channel, address in channels
    ]


def insert_notices(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert-or-ignore on the dedupe key: never check first, let the constraint decide."""
    if not rows:
        return
    notices = Notice.__table__
    if session.get_bind().dialect.name != "postgresql":
        statement = sqlite_insert(notices).on_conflict_do_nothing(index_elements=["dedupe_key"])
        session.execute(statement, rows)
        return
    if len(rows) < _STAGE_FROM:
        # Core, not the ORM: the ORM splits a batch wherever a value is None (a letter task has
        # no recipient), which turned a 100,000-row closure into thousands of statements.
        statement = pg_insert(notices).on_conflict_do_nothing(index_elements=["dedupe_key"])
        session.execute(statement, rows)
        return
    # A sweep or a closure writes thousands: COPY them aside and insert them in one statement.
    connection = session.connection()
    with staged(connection, _STAGE, rows) as stage:
        connection.execute(
            pg_insert(notices)
            .from_select(list(_STAGED_COLUMNS), select(*stage.columns))
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )


_STAGED_COLUMNS = (
    "case_id",
    "kind",
    "channel",
    "audience",
    "dedupe_key",
    "status",
    "recipient",
    "language",
    "payload",
    "trigger_at",
    "created_at",
    "not_before",
    "attempts",
)
_STAGE = Table(
    "notice_stage",
    MetaData(),
    *(Column(name, Notice.__table__.c[name].type) for name in _STAGED_COLUMNS),
    prefixes=["TEMPORARY"],
)
_STAGE_FROM = 200


def case_values(case: Case, language: str | None = None) -> dict[str, Any]:
    """What every notice about ``case`` may say, as of now, in ``language`` (the applicant's)."""
    return values_of(
        number=case.number,
        lookup_code=case.lookup_code,
        applicant_name=case.applicant_name,
        language=language or case.language,
        service_name=case.service_version.name,
        steps=case.service_version.steps,
        current_step=case.current_step,
        department_name=case.department.name,
        department_phone=case.department.phone,
        due=Deadline(case.due_date, case.due_at) if case.due_at else None,
    )


def values_of(
    *,
    number: str,
    lookup_code: str,
    applicant_name: str,
    language: str,
    service_name: Mapping[str, str],
    steps: list[dict[str, str]],
    current_step: int,
    department_name: Mapping[str, str],
    department_phone: str | None,
    due: Deadline | None,
) -> dict[str, Any]:
    """The common notice values from plain columns (bulk writers have no ORM objects)."""
    step = steps[min(current_step, len(steps) - 1)] if steps else {}
    # The names are the templates' (notifications.render.REQUIRED_VALUES); links are added at
    # sending time, from the configured public address.
    return {
        "case_number": number,
        "lookup_code": format_lookup_code(lookup_code),
        "masked_name": mask_name(applicant_name),
        "service": _pick(service_name, language),
        "department": _pick(department_name, language),
        "contact_phone": department_phone or "",
        "due_date": due.display() if due else "",
        "current_step": _pick(step, language),
    }


def case_notice_rows(
    case: Case,
    kind: str,
    *,
    trigger_at: datetime,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
    not_before: datetime | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows of notice ``kind`` about ``case``, to its applicant or its staff."""
    values = {**case_values(case, notice_language(kind, case.language)), **(extra or {})}
    if kind in STAFF_KINDS:
        channels = staff_channels(case.department.email)
    else:
        channels = applicant_channels(case.notify_by, case.applicant_phone, case.applicant_email)
    return notice_rows(
        case_id=case.id,
        kind=kind,
        trigger_at=trigger_at,
        now=now,
        language=case.language,
        values=values,
        channels=channels,
        not_before=not_before,
    )


def queue_case_notice(
    session: Session,
    case: Case,
    kind: str,
    *,
    trigger_at: datetime,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
    not_before: datetime | None = None,
) -> None:
    """Write the notice ``kind`` about ``case`` to its applicant or its department's staff."""
    rows = case_notice_rows(
        case, kind, trigger_at=trigger_at, now=now, extra=extra, not_before=not_before
    )
    insert_notices(session, rows)


def _pick(text: Mapping[str, str], language: str) -> str:
    return text.get(language) or text.get("zh-TW") or ""
