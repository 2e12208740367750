"""The deadline watch (DESIGN §4.6): find what has just fallen due and write its notices.

``sweep_batch`` reads only the cases whose ``watch_at`` has passed — a range scan over a partial
index, so a tick costs the number of cases due, not the number open — and, in one transaction,
handles their triggers, marks them handled and writes every notice they cause. Notices carry a
dedupe key with the trigger instant, so two sweeps racing (or a sweep re-run after a crash) write
each notice once. On PostgreSQL concurrent sweeps also skip each other's locked rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.calendar_store import load_calendar
from tracker.case_store import record_event
from tracker.case_watch import handled_until, rewatch, watch_state
from tracker.limits import parse_limit
from tracker.models import Case
from tracker.notices import case_notice_rows, insert_notices
from tracker.tz import local_date
from tracker.watch_rules import Trigger, default_expected_completion, triggers
from tracker.workcalendar import WorkCalendar

ACTOR = "system:watch"


@dataclass
class SweepReport:
    cases: int = 0
    handled: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        """Count one handled trigger of ``kind``."""
        self.handled[kind] = self.handled.get(kind, 0) + 1


def sweep_batch(session: Session, *, now: datetime, batch_size: int = 500) -> SweepReport:
    """Handle up to ``batch_size`` cases whose watch is due, in the caller's transaction."""
    query = select(Case).where(Case.watch_at <= now).order_by(Case.watch_at).limit(batch_size)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Case)
    report = SweepReport()
    calendars: dict[int, WorkCalendar] = {}
    notices: list[dict[str, Any]] = []
    # One flush and one notice insert per batch, not per case: the batch is one transaction.
    with session.no_autoflush:
        for case in session.scalars(query).unique():
            _sweep_case(session, case, calendars, now, notices, report)
    insert_notices(session, notices)
    session.flush()
    return report


def _sweep_case(
    session: Session,
    case: Case,
    calendars: dict[int, WorkCalendar],
    now: datetime,
    notices: list[dict[str, Any]],
    report: SweepReport,
) -> None:
    """Handle the case's triggers in (handled until, now] and point its watch at the next."""
    agency = case.department.agency_id
    if agency not in calendars:
        calendars[agency] = load_calendar(session, agency)
    calendar = calendars[agency]
    since = handled_until(case)
    for trigger in triggers(watch_state(case), calendar):
        # A warning that the case is about to fall due is noise once it has.
        stale = trigger.kind == "due_soon" and case.due_at is not None and case.due_at <= now
        if since < trigger.at <= now and not stale:
            notices += _handle(session, case, trigger, calendar, now)
            report.count(trigger.kind)
    case.watched_until = now
    rewatch(case, calendar)
    report.cases += 1


def _handle(
    session: Session, case: Case, trigger: Trigger, calendar: WorkCalendar, now: datetime
) -> list[dict[str, Any]]:
    """Act on one trigger; returns the notice rows it causes."""
    if trigger.kind == "overdue":
        return _overdue(session, case, trigger, calendar, now)
    if trigger.kind == "due_soon":
        return case_notice_rows(case, "due_soon", trigger_at=trigger.at, now=now)
    pause = case.pauses[-1]
    values = {"items": pause.items, "supplement_due": pause.supplement_due.isoformat()}
    if trigger.kind == "supplement_reminder":
        return case_notice_rows(
            case, "supplement_reminder", trigger_at=trigger.at, now=now, extra=values
        )
    # supplement_lapsed: the clerk decides what next (remind again, or reject).
    record_event(
        session,
        case,
        actor=ACTOR,
        kind="supplement_lapsed",
        at=now,
        note=f"補正期限 {values['supplement_due']} 已過，尚未收到文件。",
        data={"supplement_due": values["supplement_due"]},
    )
    return case_notice_rows(case, "supplement_lapsed", trigger_at=trigger.at, now=now, extra=values)


def _overdue(
    session: Session, case: Case, trigger: Trigger, calendar: WorkCalendar, now: datetime
) -> list[dict[str, Any]]:
    """逾期主動告知: tell the applicant why, where the case stands, and when it will be done."""
    if case.overdue_since is None:
        case.overdue_since = trigger.at
    promised = case.expected_completion
    by_rule = promised is None or promised < local_date(now)
    if by_rule:
        # No promise recorded, or the promise has passed: promise by the documented rule and ask
        # the clerk to confirm it.
        base: date = promised or case.due_date or local_date(trigger.at)
        limit = parse_limit(case.service_version.time_limit)
        case.expected_completion = default_expected_completion(base, trigger.at, limit, calendar)
    assert case.expected_completion is not None
    reason_set = bool(case.overdue_reason)
    reason = case.overdue_reason or _pick(case.service_version.overdue_reason, case.language)
    values = {"reason": reason, "expected_completion": case.expected_completion.isoformat()}
    record_event(
        session,
        case,
        actor=ACTOR,
        kind="overdue",
        at=now,
        public=True,
        note=reason,
        data={**values, "trigger_at": trigger.at.isoformat(), "by_rule": by_rule},
    )
    rows = case_notice_rows(case, "overdue", trigger_at=trigger.at, now=now, extra=values)
    if by_rule or not reason_set:
        rows += case_notice_rows(
            case,
            "overdue_clerk",
            trigger_at=trigger.at,
            now=now,
            extra={**values, "reason_is_default": True},
        )
    return rows


def _pick(text: dict[str, str], language: str) -> str:
    return text.get(language) or text.get("zh-TW") or ""
