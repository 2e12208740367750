"""Processing time limits (核辦時限) as written in the catalogue: ``N`` + unit, e.g. ``5wd``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    WORKING_DAYS = "wd"
    DAYS = "d"
    MONTHS = "mo"
    HOURS = "h"
    MINUTES = "min"


# Upper bounds keep typos (``300mo``) out of the catalogue; generous enough for any real SOP.
_MAX_AMOUNT = {
    Unit.WORKING_DAYS: 500,
    Unit.DAYS: 730,
    Unit.MONTHS: 24,
    Unit.HOURS: 24 * 60,
    Unit.MINUTES: 60 * 24 * 7,
}

_PATTERN = re.compile(r"^\s*(\d+)\s*(wd|d|mo|h|min)\s*$")


class InvalidLimit(ValueError):
    """A limit that cannot be read; the message says why and shows the accepted form."""


@dataclass(frozen=True, slots=True)
class TimeLimit:
    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if not 1 <= self.amount <= _MAX_AMOUNT[self.unit]:
            raise InvalidLimit(
                f"{self.amount}{self.unit}: the amount must be between 1 and "
                f"{_MAX_AMOUNT[self.unit]} for unit '{self.unit}'"
            )

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def is_day_based(self) -> bool:
        """Day and month limits end on a date; hour and minute limits end at an instant."""
        return self.unit in (Unit.WORKING_DAYS, Unit.DAYS, Unit.MONTHS)


# 行政程序法 Art. 51: a service without a published limit must be handled within two months.
DEFAULT_LIMIT = TimeLimit(2, Unit.MONTHS)


def parse_limit(text: str) -> TimeLimit:
    """Read ``5wd``, ``14d``, ``2mo``, ``4h`` or ``30min``; refuse anything else clearly."""
    match = _PATTERN.match(str(text))
    if match is None:
        raise InvalidLimit(
            f"'{text}' is not a time limit: write a whole number and a unit, "
            "one of wd (working days), d (calendar days), mo (months), h (hours), min (minutes), "
            "e.g. 5wd or 30min"
        )
    return TimeLimit(int(match.group(1)), Unit(match.group(2)))
