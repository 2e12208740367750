"""What /metrics reads from the database at each scrape, each an indexed read (never a full scan).

- notices ``pending`` and ``sending`` by channel, and open letter tasks: the partial indexes of
  those statuses (tracker.models.notices), a few rows even when millions were sent;
- the oldest due pending notice: the first entry of ``ix_notices_pending``;
- sweep lag: the first entry of ``ix_cases_watch_at`` (a case whose watch is due and not yet
  handled);
- open cases by status, and overdue cases by agency: ``ix_cases_open_due_at``, a partial index
  of the open cases that carries their status and department (an index-only scan of the open
  cases, not of all);
- the heartbeats of the periodic jobs and the credit gateways reported: a row each.

Counts of notices already sent, delivered or failed are not read here: the processes that do
that work count it as they go (Prometheus counters, notifications.metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Agency, Case, Department, Heartbeat, Notice, ProviderCredit
from tracker.notices.outbox import PENDING, SENDING, TASK

_OPEN = sorted(OPEN_STATUSES)


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


def read_gauges(session: Session, now: datetime) -> Gauges:
    """Every gauge, read with a handful of indexed queries."""
    gauges = Gauges()
    for status, channel, count in session.execute(
        select(Notice.status, Notice.channel, func.count())
        .where(Notice.status.in_((PENDING, SENDING)))
        .group_by(Notice.status, Notice.channel)
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
    for status, count in session.execute(
        select(Case.status, func.count()).where(Case.status.in_(_OPEN)).group_by(Case.status)
    ):
        gauges.open_cases[str(getattr(status, "value", status))] = count
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
        gauges.overdue_cases[code] = int(count)
    return gauges
