"""The office calendar as imported (DGPA) and declared (closures)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base


class CalendarDay(Base):
    """A day from the official DGPA office calendar; it overrides the holidays package."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime]


class Closure(Base):
    """An office closure (停止上班, typhoon): city-wide when agency_id is NULL."""

    __tablename__ = "closures"
    __table_args__ = (
        Index(
            "uq_closures_citywide_day",
            "day",
            unique=True,
            postgresql_where=text("agency_id IS NULL"),
            sqlite_where=text("agency_id IS NULL"),
        ),
        Index(
            "uq_closures_agency_day",
            "day",
            "agency_id",
            unique=True,
            postgresql_where=text("agency_id IS NOT NULL"),
            sqlite_where=text("agency_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    reason: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(String(80))
    declared_at: Mapped[datetime]


class CalendarRevision(Base):
    """A single counter bumped by every calendar change, so cached calendars know when to reload."""

    __tablename__ = "calendar_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int]
