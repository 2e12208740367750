"""Which days an office is open: Taiwan's holidays, the DGPA calendar and typhoon closures."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from types import MappingProxyType

import holidays

# Far wider than any case will need; the bounds only catch nonsense dates early.
FIRST_YEAR = 1950
LAST_YEAR = 2200

_ONE_DAY = timedelta(days=1)

YearFlags = Callable[[int], bytes]  # year -> one byte per day of the year, 1 = working day


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


@cache
def _taiwan_year(year: int) -> bytes:
    # Cached per process: the holidays package takes about a millisecond per year, and every
    # calendar (one per closure set) starts from the same base.
    taiwan = holidays.Taiwan(years=year)
    return bytes(taiwan.is_working_day(day) for day in _days_of(year))


@dataclass(frozen=True, slots=True)
class _Span:
    """A contiguous run of whole years, answered by index (flags) and by bisect (ordinals)."""

    first_year: int
    last_year: int
    first_ordinal: int  # date(first_year, 1, 1).toordinal()
    last_ordinal: int  # date(last_year, 12, 31).toordinal()
    flags: bytes  # flags[o - first_ordinal] == 1 when the day with ordinal o is a working day
    ordinals: list[int]  # the working days' ordinals, ascending


_EMPTY = _Span(first_year=1, last_year=0, first_ordinal=1, last_ordinal=0, flags=b"", ordinals=[])


class WorkCalendar:
    """An office's working days; later sources win: Taiwan holidays, DGPA overrides, closures.

    Closures are kept apart from ordinary days off because they also suspend calendar-day and
    month limits (Art. 51), where holidays do not. The calendar never changes after construction;
    it fills a per-year cache on demand, so asking about 2031 costs a millisecond once.
    """

    __slots__ = ("_base", "_closure_ordinals", "_closures", "_lock", "_overrides", "_span")

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        closures: Iterable[date] = (),
    ) -> None:
        self._setup(_taiwan_year, overrides, closures)

    @classmethod
    def from_predicate(
        cls,
        is_working_day: Callable[[date], bool],
        overrides: Mapping[date, bool] | None = None,
        closures: Iterable[date] = (),
    ) -> WorkCalendar:
        """A calendar whose base is ``is_working_day`` instead of the Taiwan holidays (tests)."""
        calendar = cls.__new__(cls)
        calendar._setup(
            lambda year: bytes(bool(is_working_day(day)) for day in _days_of(year)),
            overrides,
            closures,
        )
        return calendar

    def _setup(
        self, base: YearFlags, overrides: Mapping[date, bool] | None, closures: Iterable[date]
    ) -> None:
        self._base = base
        self._overrides = MappingProxyType(dict(overrides or {}))
        self._closures = frozenset(closures)
        for day in (*self._overrides, *self._closures):
            _check_year(day.year)
        self._closure_ordinals = sorted(day.toordinal() for day in self._closures)
        self._span = _EMPTY
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WorkCalendar(overrides={len(self._overrides)}, closures={len(self._closures)})"

    @property
    def closures(self) -> frozenset[date]:
        """The closure days (typhoon 停止上班)."""
        return self._closures

    @property
    def overrides(self) -> Mapping[date, bool]:
        """The DGPA overrides, read-only (True = working day)."""
        return self._overrides

    def is_working_day(self, day: date) -> bool:
        """Whether the office is open on ``day``."""
        span = self._covering(day, day)
        return span.flags[day.toordinal() - span.first_ordinal] == 1

    def is_closure(self, day: date) -> bool:
        """Whether ``day`` is a declared closure day."""
        return day in self._closures

    def next_working_day_on_or_after(self, day: date) -> date:
        """``day`` itself if the office is open then, else the next day on which it is."""
        return self.nth_working_day_after(day - _ONE_DAY, 1)

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself is never counted), n >= 1."""
        if n < 1:
            raise ValueError(f"n must be at least 1 (got {n})")
        ordinal = day.toordinal()
        span = self._covering(day, day)
        index = bisect_right(span.ordinals, ordinal) + n - 1
        while index >= len(span.ordinals):
            # Rare (a long limit near the end of the cached years): grow a year and look again.
            span = self._covering(day, date(span.last_year + 1, 1, 1))
            index = bisect_right(span.ordinals, ordinal) + n - 1
        return date.fromordinal(span.ordinals[index])

    def working_days_between(self, after: date, until: date) -> int:
        """How many working days lie in (after, until]; 0 when ``until`` is not after ``after``."""
        if until <= after:
            return 0
        span = self._covering(after, until)
        ordinals = span.ordinals
        return bisect_right(ordinals, until.toordinal()) - bisect_right(ordinals, after.toordinal())

    def closures_between(self, after: date, until: date) -> int:
        """How many closure days lie in (after, until]."""
        if until <= after:
            return 0
        ordinals = self._closure_ordinals
        return bisect_right(ordinals, until.toordinal()) - bisect_right(ordinals, after.toordinal())

    def closures_after(self, day: date) -> list[date]:
        """The closure days after ``day``, in date order."""
        start = bisect_right(self._closure_ordinals, day.toordinal())
        return [date.fromordinal(o) for o in self._closure_ordinals[start:]]

    def _covering(self, first: date, last: date) -> _Span:
        span = self._span  # read once: another thread may swap in a wider span meanwhile
        if span.first_ordinal <= first.toordinal() and last.toordinal() <= span.last_ordinal:
            return span
        return self._widen(first.year, last.year)

    def _widen(self, first_year: int, last_year: int) -> _Span:
        _check_year(first_year)
        _check_year(last_year)
        with self._lock:
            span = self._span
            if span.first_year <= span.last_year:  # keep what is cached: spans only ever grow
                first_year = min(first_year, span.first_year)
                last_year = max(last_year, span.last_year)
            flags = b"".join(self._year_flags(year) for year in range(first_year, last_year + 1))
            first_ordinal = date(first_year, 1, 1).toordinal()
            span = _Span(
                first_year=first_year,
                last_year=last_year,
                first_ordinal=first_ordinal,
                last_ordinal=date(last_year, 12, 31).toordinal(),
                flags=flags,
                ordinals=[first_ordinal + i for i, flag in enumerate(flags) if flag],
            )
            # One attribute swap, so readers without the lock see either the old or the new span.
            self._span = span
            return span

    def _year_flags(self, year: int) -> bytes:
        flags = bytearray(self._base(year))
        first = date(year, 1, 1).toordinal()
        for day, working in self._overrides.items():
            if day.year == year:
                flags[day.toordinal() - first] = 1 if working else 0
        lo = bisect_left(self._closure_ordinals, first)
        hi = bisect_left(self._closure_ordinals, date(year + 1, 1, 1).toordinal())
        for ordinal in self._closure_ordinals[lo:hi]:
            flags[ordinal - first] = 0
        return bytes(flags)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"the calendar covers {FIRST_YEAR}-{LAST_YEAR} (asked about {year})")
