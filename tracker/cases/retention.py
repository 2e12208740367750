"""Personal data kept only as long as needed (個人資料保護法 Art. 11): the retention purge.

A closed case keeps its applicant's personal data for its service's ``retention`` (catalogue,
default ``5y``) after closing; then ``purge`` erases it:

- the case's applicant name (to empty: a public page then masks nothing), phone, email, LINE
  user (and its binding, ``line_binding.erase_line_contact``) and the extension's reason;
- the notes of its timeline (a clerk's or an applicant's free text, the Open311 description);
- its notices' recipient, values and rendered text, and the note of a letter task done;
- the comment of its satisfaction survey.

What stays is what reports and open data read: the case number, the dates, the status, the
figures (working days used, paused days, the extension), the office's overdue reason (reports
count the missed cases by it), the documents asked for, the notices' kinds, channels and
statuses, and the survey's score. ``cases.personal_data_erased_at`` records when.

Each batch of cases is erased and audited (counts per service, never contents) in one committed
transaction, so a purge stopped at any point has lost nothing and the next run goes on where it
stopped; an erased case leaves the partial index the purge reads (``ix_cases_personal_data_held``),
so a second run finds nothing. Every statement is set-based: a batch costs a handful of
statements, whatever its size.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.accounts.audit import record_audit
from tracker.bulk import among
from tracker.cases.line_binding import erase_line_contact
from tracker.catalogue.specs import DEFAULT_RETENTION, Retention, parse_retention
from tracker.db import Database
from tracker.deadlines.timezones import TAIPEI, require_aware, to_utc
from tracker.models import Case, CaseEvent, Notice, Service, ServiceVersion, SurveyResponse

# Cases per transaction: large enough that a purge of 100,000 costs few commits, small enough
# that a clerk touching one of them waits a moment at most.
PURGE_BATCH = 5000
# The audit log's action for one committed batch (data: the cases erased per service code).
PERSONAL_DATA_PURGED = "personal_data_purged"
ACTOR = "purge"


def retention_cutoff(now: datetime, retention: Retention) -> datetime:
    """The instant before which a case must have closed for its personal data to go.

    Years and months count on the Taipei calendar, as people read "five years after": a case
    closed on 2021-03-31 is kept until 2026-03-31; one month before 03-31 is the last day of
    February (a month without the day ends at its last day, as 行政程序法 Art. 48 counts).
    """
    local = require_aware(now, "now").astimezone(TAIPEI)
    if retention.unit == "d":
        return to_utc(local - timedelta(days=retention.amount))
    months = retention.amount * (12 if retention.unit == "y" else 1)
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return to_utc(local.replace(year=year, month=month + 1, day=day))


@dataclass
class PurgeReport:
    """What a purge erased (or, dry, would erase): cases per service code."""

    dry_run: bool
    erased: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    # False when the run stopped at ``max_batches``: cases may be left for the next run.
    complete: bool = True

    @property
    def total(self) -> int:
        """Cases erased (or to erase) in all."""
        return sum(self.erased.values())


Progress = Callable[[PurgeReport], None]


def purge(
    database: Database,
    now: datetime,
    *,
    dry_run: bool = False,
    batch_size: int = PURGE_BATCH,
    max_batches: int | None = None,
    actor: str = ACTOR,
    progress: Progress | None = None,
) -> PurgeReport:
    """Erase the personal data of every closed case past its service's retention at ``now``.

    ``dry_run`` counts and changes nothing. ``max_batches`` stops after that many committed
    batches (a run cut short, as a stopped worker would leave it); ``progress`` is told after
    each batch.
    """
    report = PurgeReport(dry_run=dry_run)
    with database.transaction() as session:
        groups = service_cutoffs(session, now)
    for cutoff, services in sorted(groups.items()):
        if dry_run:
            with database.transaction() as session:
                report.erased.update(_count_held(session, services, cutoff))
            continue
        while True:
            if max_batches is not None and report.batches >= max_batches:
                report.complete = False
                return report
            with database.transaction() as session:
                erased = erase_batch(session, services, cutoff, now, batch_size, actor=actor)
            if not erased:
                break
            report.batches += 1
            report.erased.update(erased)
            if progress is not None:
                progress(report)
            if sum(erased.values()) < batch_size:
                break
    return report


def service_cutoffs(session: Session, now: datetime) -> dict[datetime, dict[int, str]]:
    """Services grouped by their retention cutoff at ``now``: {cutoff: {service id: code}}.

    A service's retention is its current SOP version's: shortening it applies to the cases
    already closed too, as the law asks of data no longer needed.
    """
    rows = session.execute(
        select(Service.id, Service.code, ServiceVersion.retention).outerjoin(
            ServiceVersion, ServiceVersion.id == Service.current_version_id
        )
    ).all()
    groups: dict[datetime, dict[int, str]] = {}
    for service_id, code, text in rows:
        retention = parse_retention(text) if text else DEFAULT_RETENTION
        groups.setdefault(retention_cutoff(now, retention), {})[service_id] = code
    return groups


def _held(services: dict[int, str], cutoff: datetime) -> list[object]:
    # The partial index's own predicate, spelled out so that SQLite's planner uses it too.
    return [
        Case.closed_at.is_not(None),
        Case.personal_data_erased_at.is_(None),
        Case.closed_at < cutoff,
        Case.service_id.in_(sorted(services)),
    ]


def _count_held(session: Session, services: dict[int, str], cutoff: datetime) -> Counter[str]:
    rows = session.execute(
        select(Case.service_id, func.count())
        .where(*_held(services, cutoff))  # type: ignore[arg-type]
        .group_by(Case.service_id)
    ).all()
    return Counter({services[service_id]: count for service_id, count in rows})


def erase_batch(
    session: Session,
    services: dict[int, str],
    cutoff: datetime,
    now: datetime,
    limit: int,
    *,
    actor: str = ACTOR,
) -> Counter[str]:
    """Erase up to ``limit`` held cases of ``services`` closed before ``cutoff``; audit them."""
    chosen = (
        select(Case.id)
        .where(*_held(services, cutoff))  # type: ignore[arg-type]
        .order_by(Case.closed_at)
        .limit(limit)
        # A case a clerk holds right now waits for the next batch or run.
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = session.execute(
        update(Case)
        .where(Case.id.in_(chosen))
        .values(
            applicant_name="",
            applicant_phone=None,
            applicant_email=None,
            extension_reason=None,
            personal_data_erased_at=now,
            # updated_at stays: it is when the office last acted (Open311's updated_datetime).
            # An ORM copy read before this must not write the data back.
            version=Case.version + 1,
        )
        .returning(Case.id, Case.service_id)
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return Counter()
    ids = [case_id for case_id, _ in rows]
    _erase_free_text(session, ids, session.get_bind().dialect.name)
    erase_line_contact(session, ids, now)
    erased = Counter(services[service_id] for _, service_id in rows)
    record_audit(
        session,
        PERSONAL_DATA_PURGED,
        actor=actor,
        at=now,
        data={"cases": len(ids), "services": dict(sorted(erased.items()))},
    )
    return erased


def _erase_free_text(session: Session, ids: Sequence[int], dialect: str) -> None:
    """The notes, notice texts and survey comments of these cases."""
    # Timeline events are append-only for the application (an ORM flush refuses to change
    # one); erasing their notes past retention is the one change the law asks of them.
    session.execute(
        update(CaseEvent)
        .where(among(CaseEvent.case_id, ids, dialect), CaseEvent.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Notice)
        .where(among(Notice.case_id, ids, dialect))
        .values(recipient=None, payload={}, rendered=None, done_note=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SurveyResponse)
        .where(among(SurveyResponse.case_id, ids, dialect), SurveyResponse.comment.is_not(None))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
