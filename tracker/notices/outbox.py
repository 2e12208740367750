"""Writing notices to the outbox (DESIGN §4.6): one row per recipient channel, at most once.

A notice is written in the same transaction as the change that causes it. Its dedupe key is
(case, kind, trigger instant, channel) under a unique constraint, and rows are inserted with
ON CONFLICT DO NOTHING: two writers racing (two sweeps, a retried task) cannot both add it.
``notice_rows`` is the one place rows are made: the sweep, closure re-timing, clerk actions and
the dispatcher's fallback all call it. Bulk writers read cases as rows, not ORM objects:
``BatchNotices`` reads the few services' and departments' texts a batch involves once, and each
case's values once per language and due date. Rendering and sending happen later, in
``notifications``.

A row's status moves only forward::

    pending ──claim──▶ sending ──accepted──▶ sent ──callback──▶ delivered | undelivered
       ▲                 │
       └──── retry ──────┤ (transient error, with a backoff)
       └─── waiting ─────┤ (SMS with no provider configured: error = NO_SMS_PROVIDER)
                         └──▶ failed (permanent, or too many tries) → a fallback row
    task: nothing to send; a clerk gives the notice by phone or letter
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, MetaData, Row, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.bulk import staged
from tracker.deadlines.engine import Deadline
from tracker.models import Case, Department, Notice, ServiceVersion
from tracker.notices.values import case_values, values_of

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
# The LINE bot's answers in a chat (tracker.cases.line_binding), by LINE only and at once,
# whatever the hour: the applicant has just written.
CHAT_KINDS = ("line_confirm", "line_bound", "line_unbound", "line_help")
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
# The reason a pending SMS waits outside `tracker demo` when no SMS provider is configured: it is
# neither sent nor failed, and goes out once a provider is (notifications.dispatch).
NO_SMS_PROVIDER = "no SMS provider configured"

Channels = list[tuple[str, str | None]]


@dataclass(frozen=True, slots=True)
class Addressees:
    """Who a case's notices reach: the applicant as they chose, and the department's staff."""

    case_id: int
    language: str  # the applicant's
    notify_by: str  # sms | email | both | none
    phone: str | None
    email: str | None
    department_email: str | None
    line: str | None = None  # the LINE user the case is bound to, if any

    @classmethod
    def of(cls, case: Case) -> Addressees:
        """The addressees of an ORM case (bulk writers build them from plain columns)."""
        return cls(
            case.id,
            case.language,
            case.notify_by,
            case.applicant_phone,
            case.applicant_email,
            case.department.email,
            case.applicant_line_id,
        )

    def channels(self, kind: str) -> Channels:
        """(channel, address) pairs for notice ``kind``."""
        if kind in STAFF_KINDS:
            # Staff notices always reach the console; the department's mailbox too, if any.
            staff: Channels = [("console", None)]
            if self.department_email:
                staff.append(("email", self.department_email))
            return staff
        found: Channels = []
        if self.line:
            # The applicant bound the case to LINE: it replaces SMS (the same texts), and email
            # still goes where they asked for it.
            found.append(("line", self.line))
        elif self.notify_by in ("sms", "both") and self.phone:
            found.append(("sms", self.phone))
        if self.notify_by in ("email", "both") and self.email:
            found.append(("email", self.email))
        # No usable channel: a task for the clerk to give the notice by phone or letter.
        return found or [("letter", None)]


def dedupe_key(case_id: int, kind: str, trigger_at: datetime, channel: str) -> str:
    """The identity of a notice: the same trigger never makes a second one."""
    return f"{case_id}:{kind}:{trigger_at.isoformat()}:{channel}"


def notice_language(kind: str, applicant_language: str) -> str:
    """The language notice ``kind`` is written in: the applicant's, or the staff's for theirs."""
    return STAFF_LANGUAGE if kind in STAFF_KINDS else applicant_language


def notice_rows(
    to: Addressees,
    kind: str,
    *,
    trigger_at: datetime,
    now: datetime,
    values: Mapping[str, Any],
    channels: Iterable[tuple[str, str | None]] | None = None,
    not_before: datetime | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows of notice ``kind`` to ``to``: one per channel (``to``'s own by default)."""
    audience = "staff" if kind in STAFF_KINDS else "applicant"
    # One payload for every channel of the notice: the rows are written, never changed here.
    payload = dict(values)
    return [
        _row(
            to.case_id,
            kind,
            channel,
            address,
            key=dedupe_key(to.case_id, kind, trigger_at, channel),
            audience=audience,
            language=notice_language(kind, to.language),
            payload=payload,
            trigger_at=trigger_at,
            now=now,
            not_before=not_before,
        )
        for channel, address in (to.channels(kind) if channels is None else channels)
    ]


def chat_answer_rows(
    line_user: str,
    kind: str,
    *,
    event_id: str,
    case_id: int | None,
    language: str,
    values: Mapping[str, Any],
    now: datetime,
) -> list[dict[str, Any]]:
    """The outbox row of the LINE bot's answer to one chat event (``CHAT_KINDS``).

    Keyed by the webhook event (and the case), not by a case's trigger: LINE redelivers an event
    with the same id, and each answer must exist once; an answer may concern no case (an
    unknown code).
    """
    return [
        _row(
            case_id,
            kind,
            "line",
            line_user,
            key=f"line-event:{event_id}:{kind}:{case_id or ''}",
            audience="applicant",
            language=language,
            payload=dict(values),
            trigger_at=now,
            now=now,
            not_before=None,
        )
    ]


def _row(
    case_id: int | None,
    kind: str,
    channel: str,
    address: str | None,
    *,
    key: str,
    audience: str,
    language: str,
    payload: dict[str, Any],
    trigger_at: datetime,
    now: datetime,
    not_before: datetime | None,
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "kind": kind,
        "channel": channel,
        "audience": audience,
        "dedupe_key": key,
        "status": TASK if channel == "letter" else PENDING,
        "recipient": address,
        "language": language,
        "payload": payload,
        "trigger_at": trigger_at,
        "created_at": now,
        "not_before": not_before or now,
        "attempts": 0,
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
    """The outbox rows of notice ``kind`` about an ORM ``case``, with its current values."""
    values = {**case_values(case, notice_language(kind, case.language)), **(extra or {})}
    return notice_rows(
        Addressees.of(case), kind, trigger_at=trigger_at, now=now, values=values,
        not_before=not_before,
    )  # fmt: skip


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


# -- many cases at once, from plain rows (the sweep, closure re-timing) ------------------------

# The columns a row must carry for its notices (select them with the writer's own).
NOTICE_COLUMNS = (
    Case.id,
    Case.number,
    Case.lookup_code,
    Case.applicant_name,
    Case.language,
    Case.notify_by,
    Case.applicant_phone,
    Case.applicant_email,
    Case.applicant_line_id,
    Case.current_step,
    Case.service_version_id,
    Case.department_id,
)


class BatchNotices:
    """The catalogue texts of a batch of case rows, and their notices' outbox rows."""

    def __init__(self, session: Session, rows: Sequence[Row[Any]]) -> None:
        self.versions = {
            v.id: v
            for v in session.scalars(
                select(ServiceVersion).where(
                    ServiceVersion.id.in_({r.service_version_id for r in rows})
                )
            )
        }
        self.departments = {
            d.id: d
            for d in session.scalars(
                select(Department).where(Department.id.in_({r.department_id for r in rows}))
            )
        }
        self._values: dict[tuple[int, str, Deadline | None], dict[str, Any]] = {}

    def version(self, row: Row[Any]) -> ServiceVersion:
        """The SOP version the case was filed under."""
        return self.versions[row.service_version_id]

    def department(self, row: Row[Any]) -> Department:
        """The department handling the case."""
        return self.departments[row.department_id]

    def rows(
        self,
        row: Row[Any],
        kind: str,
        *,
        trigger_at: datetime,
        now: datetime,
        due: Deadline | None,
        extra: Mapping[str, Any],
    ) -> list[dict[str, Any]]:
        """The outbox rows of notice ``kind`` about the case in ``row``, due as ``due`` says."""
        to = Addressees(
            row.id,
            row.language,
            row.notify_by,
            row.applicant_phone,
            row.applicant_email,
            self.department(row).email,
            row.applicant_line_id,
        )
        values = self._values_of(row, notice_language(kind, row.language), due)
        return notice_rows(to, kind, trigger_at=trigger_at, now=now, values={**values, **extra})

    def _values_of(self, row: Row[Any], language: str, due: Deadline | None) -> dict[str, Any]:
        key = (row.id, language, due)
        known = self._values.get(key)
        if known is None:
            version, department = self.version(row), self.department(row)
            known = self._values[key] = values_of(
                number=row.number,
                lookup_code=row.lookup_code,
                applicant_name=row.applicant_name,
                language=language,
                service_name=version.name,
                steps=version.steps,
                current_step=row.current_step,
                department_name=department.name,
                department_phone=department.phone,
                sender=department.agency.sender,
                due=due,
            )
        return known


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
        # no recipient), which would turn one insert of many rows into many statements.
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
