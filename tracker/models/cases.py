"""Cases, their clock pauses and their append-only timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.lifecycle import OPEN_STATUSES, CaseStatus
from tracker.models.base import Base, BigId
from tracker.models.catalogue import Department, Service, ServiceVersion

_OPEN_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)))
_HELD_SQL = "closed_at IS NOT NULL AND personal_data_erased_at IS NULL"

# What tracker.reports.statistics reads of a case besides received_at (the index's INCLUDE list).
STATISTICS_COLUMNS = (
    "service_id",
    "department_id",
    "status",
    "due_at",
    "closed_at",
    "extension",
    "working_days_used",
    "paused_days",
    # Mostly NULL (costs the index nothing then): the reasons of the cases that missed.
    "overdue_reason",
)

StatusType = Enum(
    CaseStatus,
    native_enum=False,
    create_constraint=True,
    length=24,
    name="case_status",
    values_callable=lambda members: [m.value for m in members],
)


class Case(Base):
    """One application by one applicant for one service (申辦案件)."""

    __tablename__ = "cases"
    __table_args__ = (
        # "Open cases due before T" is a range scan over this partial index and nothing else.
        # It carries status and department: /metrics counts the open cases by status and the
        # overdue ones by agency with an index-only scan of the open cases
        # (tracker.operations.gauges).
        Index(
            "ix_cases_open_due_at",
            "due_at",
            postgresql_where=text(_OPEN_SQL),
            sqlite_where=text(_OPEN_SQL),
            postgresql_include=["status", "department_id"],
        ),
        # The deadline watch reads only cases with something due: "WHERE watch_at <= now".
        Index(
            "ix_cases_watch_at",
            "watch_at",
            postgresql_where=text("watch_at IS NOT NULL"),
            sqlite_where=text("watch_at IS NOT NULL"),
        ),
        Index("ix_cases_department_status", "department_id", "status"),
        # The agency view counts each department's open cases by due instant and status
        # (tracker.cases.overview): on PostgreSQL an index-only scan of the agency's open cases,
        # never a visit to their wide rows.
        Index(
            "ix_cases_open_department_due",
            "department_id",
            "due_at",
            postgresql_where=text(_OPEN_SQL),
            sqlite_where=text(_OPEN_SQL),
            postgresql_include=["due_date", "status"],
        ),
        Index("ix_cases_applicant_phone", "applicant_phone"),
        # Reports and open data group a month range of receipts (tracker.reports.statistics); on
        # PostgreSQL the index carries every column they read, so a short range is an index-only
        # scan instead of a pass over the wide rows (for a year of the whole city the planner
        # prefers a parallel scan of the table). Open311 lists by receipt too.
        Index(
            "ix_cases_received_at",
            "received_at",
            postgresql_include=list(STATISTICS_COLUMNS),
        ),
        # The retention purge reads closed cases whose personal data is still held, oldest first.
        Index(
            "ix_cases_personal_data_held",
            "closed_at",
            postgresql_where=text(_HELD_SQL),
            sqlite_where=text(_HELD_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    lookup_code: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    service_version_id: Mapped[int] = mapped_column(ForeignKey("service_versions.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    channel: Mapped[str] = mapped_column(String(10))

    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    applicant_email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5))
    notify_by: Mapped[str] = mapped_column(String(10))
    # The LINE user the applicant bound this case to (tracker.cases.line_binding): while set, the
    # case's notices go by LINE instead of SMS. Personal data, erased with the rest.
    applicant_line_id: Mapped[str | None] = mapped_column(String(64))

    status: Mapped[CaseStatus] = mapped_column(StatusType)
    current_step: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime]
    # due_date is the last day on time (day/month limits); due_at is the instant the case
    # becomes overdue. Both are NULL while a supplement pause has stopped the clock.
    due_date: Mapped[date | None]
    due_at: Mapped[datetime | None]
    expected_completion: Mapped[date | None]
    overdue_reason: Mapped[str | None] = mapped_column(Text)
    extension: Mapped[str | None] = mapped_column(String(12))
    extension_reason: Mapped[str | None] = mapped_column(Text)
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    # Bumped by the citizen's "forget this case": every lookup session made before ends.
    lookup_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the applicant's personal data was erased past the service's retention (個資法 Art. 11).
    personal_data_erased_at: Mapped[datetime | None]
    # Set when the case closes (tracker.cases.closing_figures): working days the office used, pauses
    # excluded, and calendar days the clock stood still for the applicant's documents.
    working_days_used: Mapped[int | None]
    paused_days: Mapped[int | None]
    # The deadline watch: the next instant something is due for this case (NULL: nothing), and
    # the instant up to which its triggers have been handled. Any change that moves a deadline
    # recomputes watch_at from watched_until, so a trigger can be late but never skipped.
    watch_at: Mapped[datetime | None]
    watched_until: Mapped[datetime | None]
    overdue_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Optimistic check on top of the row lock: a stale in-memory copy can never overwrite.
    version: Mapped[int] = mapped_column(default=1)

    service: Mapped[Service] = relationship(lazy="joined")
    service_version: Mapped[ServiceVersion] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    pauses: Mapped[list[Pause]] = relationship(
        back_populates="case", order_by="Pause.requested_at", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own convention

    @property
    def is_open(self) -> bool:
        """Whether the case still needs work."""
        return self.status in OPEN_STATUSES


class Pause(Base):
    """A supplement request (補正): the clock stops from the request until the documents arrive."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    requested_at: Mapped[datetime]
    resumed_at: Mapped[datetime | None]
    items: Mapped[list[str]]
    supplement_due: Mapped[date]

    case: Mapped[Case] = relationship(back_populates="pauses")


class CaseEvent(Base):
    """One line of a case's timeline: who did what, when, and a public or internal note."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    public: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CaseCounter(Base):
    """The last case number handed out on a day, so numbers stay short and readable."""

    __tablename__ = "case_counters"

    day: Mapped[date] = mapped_column(primary_key=True)
    last: Mapped[int]


@event.listens_for(CaseEvent, "before_update")
@event.listens_for(CaseEvent, "before_delete")
def _events_are_append_only(*_args: object) -> None:
    raise RuntimeError("case events are append-only: add a new event instead")
