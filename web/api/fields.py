"""Marshmallow fields with the API's rules: plain text, bounded dates, instants in +08:00."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from marshmallow import ValidationError, fields

from tracker.deadlines.timezones import iso_taipei

# Dates outside these years are typing mistakes, and the calendar has no holidays for them.
FIRST_YEAR = 2000
LAST_YEAR = 2099


class Text(fields.String):
    """A string without NUL characters (PostgreSQL refuses them; the domain checks the rest)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters")
        return text


def _in_range(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(f"must be between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31")


class Day(fields.Date):
    """A calendar date (``YYYY-MM-DD``) between 2000 and 2099."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        _in_range(day)
        return day


class Instant(fields.AwareDateTime):
    """An instant: read with its offset, written in Asia/Taipei (``+08:00``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else iso_taipei(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        _in_range(instant.astimezone(UTC).date())
        return instant


class Flag(fields.Boolean):
    """JSON true or false, nothing else (not 1, not "yes")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class QueryFlag(fields.Boolean):
    """``true`` or ``false`` in a query string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)


class Whole(fields.Integer):
    """A JSON integer: not a float, a string or a boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("must be an integer")
        return super()._deserialize(value, attr, data, **kwargs)
