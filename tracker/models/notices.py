"""The notice outbox: every message to send is a row, written with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, BigId

PENDING_SQL = "status = 'pending'"
SENDING_SQL = "status = 'sending'"
OPEN_TASK_SQL = "status = 'task' AND done_at IS NULL"


class Notice(Base):
    """One notice to one recipient on one channel; ``dedupe_key`` makes it exist at most once."""

    __tablename__ = "notices"
    __table_args__ = (
        # The dispatcher claims due pending rows in order; this keeps that a short index scan.
        Index(
            "ix_notices_pending",
            "not_before",
            postgresql_where=text(PENDING_SQL),
            sqlite_where=text(PENDING_SQL),
            # /metrics counts pending notices by channel: an index-only scan of these few.
            postgresql_include=["channel"],
        ),
        # Reports count the notices of a month by channel and status (tracker.reports.details):
        # on PostgreSQL an index-only scan. status already changes indexed predicates, so
        # carrying it here costs no HOT update that was possible before.
        Index(
            "ix_notices_created_at",
            "created_at",
            postgresql_include=["channel", "status", "audience"],
        ),
        # The self-healing sweep finds rows a crashed worker left in "sending".
        Index(
            "ix_notices_sending",
            "claimed_at",
            postgresql_where=text(SENDING_SQL),
            sqlite_where=text(SENDING_SQL),
            postgresql_include=["channel"],
        ),
        # The queues count a department's open letter tasks: a handful among millions of rows.
        Index(
            "ix_notices_open_tasks",
            "case_id",
            postgresql_where=text(OPEN_TASK_SQL),
            sqlite_where=text(OPEN_TASK_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # sms | email | line | letter (no usable channel: a "contact by phone or letter" task)
    channel: Mapped[str] = mapped_column(String(10))
    audience: Mapped[str] = mapped_column(String(10), default="applicant")  # or "staff"
    trigger_at: Mapped[datetime]
    # (case, kind, trigger instant[, channel]): inserted with ON CONFLICT DO NOTHING, never
    # checked first, so two sweeps racing cannot both write it.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    recipient: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="zh-TW")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
    # What was sent, as rendered: the clerk sees it, and the embedded outbox shows it.
    rendered: Mapped[dict[str, Any] | None]
    # A letter task is done once a clerk has told the applicant: who, when, and how (a short
    # note). Its status stays "task": reports count the notice as given by phone or letter.
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(80))
    done_note: Mapped[str | None] = mapped_column(String(200))
