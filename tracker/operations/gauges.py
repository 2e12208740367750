"""What /metrics reads from the database at each scrape: a few index entries and small tables.

- notices ``pending`` and ``sending`` by channel, and open letter tasks: index-only scans of the
  partial indexes of those statuses (tracker.models.notices), a few rows even when millions
  were sent;
- the oldest due pending notice: the first entry of ``ix_notices_pending``;
- sweep lag: the first entry of ``ix_cases_watch_at`` (a case whose watch is due and not yet
  handled);
- the heartbeats of the periodic jobs and the credit gateways reported: a row each;
- open cases by status and overdue cases by agency: the rows of ``case_gauges``, which the sweep
  counts at most once a minute (``refresh_case_gauges``). Counting the open cases is an
  index-only scan of every open case (``ix_cases_open_due_at`` carries their status and
  department), tens of milliseconds at a million cases: paid once a minute by a worker, not at
  every scrape.

Counts of notices already sent, delivered or failed are not read here: the processes that do
that work count it as they go (Prometheus counters, notifications.metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Agency, Case, CaseGauge, Department, Heartbeat, Notice, ProviderCredit
from tracker.notices.outbox import PENDING, SENDING, TASK
from tracker.operations.heartbeats import upsert_newer

_OPEN = sorted(OPEN_STATUSES)
# The case gauges are counted again when older than this (by the sweep, every 15 s).
CASE_GAUGES_EVERY = timedelta(minutes=1)
OPEN, OVERDUE = "open", "overdue"


@dataclass
class Gauges:
    """One scrape's readings."""

    notices: dict[tuple[str, str], int] = field(default_factory=dict)  # (status, channel)
    oldest_pending_age: float = 0.0  # seconds a due notice has waited; 0 when none waits
    sweep_lag: float = 0.0  # seconds the oldest due watch has waited
    last_runs: dict[str, datetime] = field(default_factory=dict)  # job -> instant
    credit: dict[str, int] = field(default_factory=dict)  # channel -> what is left
    open_cases: dict[str, int] = field(default_factory=dict)  # status -> count
    overdue_cases: dict[str, int] = field(default_factory=dict)  # agency code -> count
    cases_counted_at: datetime | None = None  # when the sweep counted the two above


def read_gauges(session: Session, now: datetime) -> Gauges:
    """Every gauge, read with a handful of indexed queries and two small tables."""
    gauges = Gauges()
    for status in (PENDING, SENDING):
        # One status per query: each is an index-only scan of its own partial index.
        for channel, count in session.execute(
            select(Notice.channel, func.count())
            .where(Notice.status == status)
            .group_by(Notice.channel)
        ):
            gauges.notices[(status, channel)] = count
    tasks = session.scalar(
        select(func.count()).where(Notice.status == TASK, Notice.done_at.is_(None))
    )
    gauges.notices[(TASK, "letter")] = int(tasks or 0)
    oldest = session.scalar(select(func.min(Notice.not_before)).where(Notice.status == PENDING))
    gauges.oldest_pending_age = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    watch = session.scalar(select(func.min(Case.watch_at)).where(Case.watch_at.is_not(None)))
    gauges.sweep_lag = max((now - watch).total_seconds(), 0.0) if watch else 0.0
    for name, at in session.execute(select(Heartbeat.name, Heartbeat.at)):
        gauges.last_runs[name] = at
    for provider, remaining in session.execute(
        select(ProviderCredit.provider, ProviderCredit.remaining)
    ):
        gauges.credit[provider] = remaining
    for gauge in session.scalars(select(CaseGauge)):
        gauges.cases_counted_at = gauge.at
        if gauge.label:  # the empty label only says when nothing was open
            target = gauges.open_cases if gauge.kind == OPEN else gauges.overdue_cases
            target[gauge.label] = gauge.count
    return gauges


def refresh_case_gauges(
    session: Session, now: datetime, *, every: timedelta = CASE_GAUGES_EVERY
) -> bool:
    """Count the open cases by status and the overdue ones by agency, if the last count is
    older than ``every``; True when it counted."""
    last = session.scalar(select(func.max(CaseGauge.at)))
    if last is not None and now - last < every:
        return False
    rows: list[dict[str, object]] = []
    for status, count in session.execute(
        select(Case.status, func.count()).where(Case.status.in_(_OPEN)).group_by(Case.status)
    ):
        label = str(getattr(status, "value", status))
        rows.append({"kind": OPEN, "label": label, "count": count, "at": now})
    overdue = (
        select(Case.department_id, func.count().label("n"))
        .where(Case.status.in_(_OPEN), Case.due_at <= now)
        .group_by(Case.department_id)
        .subquery()
    )
    for code, count in session.execute(
        select(Agency.code, func.sum(overdue.c.n))
        .join(Department, Department.agency_id == Agency.id)
        .join(overdue, overdue.c.department_id == Department.id)
        .group_by(Agency.code)
    ):
        rows.append({"kind": OVERDUE, "label": code, "count": int(count), "at": now})
    # Nothing open: one row still says when that was counted.
    for row in rows or [{"kind": OPEN, "label": "", "count": 0, "at": now}]:
        # An upsert, not delete-and-insert: two sweeps counting at once cannot collide.
        upsert_newer(session, CaseGauge.__table__, ["kind", "label"], row)
    # A status or agency with nothing left in it is gone from the count.
    session.execute(delete(CaseGauge).where(CaseGauge.at < now))
    return True
