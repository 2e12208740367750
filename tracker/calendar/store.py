"""The office calendar in the database: DGPA imports, closures, and cached WorkCalendars."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.deadlines.workcalendar import WorkCalendar
from tracker.models import CalendarDay, CalendarRevision, Closure

if TYPE_CHECKING:
    from tracker.calendar.dgpa import DgpaDay

_cache: dict[tuple[str, int, int | None], WorkCalendar] = {}
_cache_lock = threading.Lock()


def calendar_revision(session: Session) -> int:
    """The revision counter every calendar change bumps."""
    return session.scalar(select(CalendarRevision.revision).where(CalendarRevision.id == 1)) or 0


def bump_revision(session: Session) -> None:
    """Mark the calendar changed, in the same transaction as the change."""
    session.execute(
        update(CalendarRevision)
        .where(CalendarRevision.id == 1)
        .values(revision=CalendarRevision.revision + 1)
    )


def load_calendar(session: Session, agency_id: int | None) -> WorkCalendar:
    """The calendar of one agency (city-wide closures and its own), cached per revision."""
    key = (str(session.get_bind().url), calendar_revision(session), agency_id)
    calendar = _cache.get(key)
    if calendar is None:
        rows = session.execute(select(CalendarDay.day, CalendarDay.is_working))
        overrides = {row.day: row.is_working for row in rows}
        closures = session.scalars(
            select(Closure.day).where(
                or_(Closure.agency_id.is_(None), Closure.agency_id == agency_id)
            )
        )
        calendar = WorkCalendar(overrides=overrides, closures=closures)
        with _cache_lock:
            # Older revisions are never asked for again: keep the cache from growing.
            for stale in [k for k in _cache if k[0] == key[0] and k[1] != key[1]]:
                del _cache[stale]
            _cache[key] = calendar
    return calendar


def store_dgpa_days(session: Session, days: Sequence[DgpaDay], now: datetime) -> list[date]:
    """Upsert imported DGPA days; returns the days whose working status changed."""
    rows = [
        {"day": d.date, "is_working": d.is_working, "note": d.note[:200], "imported_at": now}
        for d in days
    ]
    if not rows:
        return []
    before = load_calendar(session, None)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CalendarDay)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CalendarDay.day],
            set_={
                "is_working": statement.excluded.is_working,
                "note": statement.excluded.note,
                "imported_at": statement.excluded.imported_at,
            },
        ),
        rows,
    )
    changed = [d.date for d in days if before.is_working_day(d.date) != d.is_working]
    bump_revision(session)
    return changed


def closures_on(session: Session, day: date) -> list[Closure]:
    """Closures declared for ``day`` (city-wide and per agency)."""
    return list(session.scalars(select(Closure).where(Closure.day == day)))
