"""Time zones at the edges: everything is decided in Asia/Taipei and stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def require_aware(instant: datetime, what: str = "datetime") -> datetime:
    """Return ``instant`` unchanged, refusing naive datetimes (they have no place in the domain)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone (got naive {instant.isoformat()})")
    return instant


def to_utc(instant: datetime) -> datetime:
    """The same instant expressed in UTC."""
    return require_aware(instant).astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The Asia/Taipei calendar date of an instant: the office's notion of "that day"."""
    return require_aware(instant).astimezone(TAIPEI).date()


def start_of_local_day(day: date) -> datetime:
    """00:00 Asia/Taipei on ``day``, as an aware UTC instant."""
    return datetime.combine(day, time.min, tzinfo=TAIPEI).astimezone(UTC)


def iso_taipei(instant: datetime) -> str:
    """ISO 8601 with the +08:00 offset, seconds precision, as the contracts print instants."""
    return require_aware(instant).astimezone(TAIPEI).isoformat(timespec="seconds")
