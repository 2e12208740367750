"""The query parameters of ``GET requests.json``, read as the spec defines them.

Dates are ISO 8601 (``2026-04-13T00:00:00Z``, ``...+08:00``); a date or time without an offset
is read as Asia/Taipei, as everywhere in the product. The window defaults to the most recent 90
days and may not span more than 90 days (GeoReport v2, "GET Service Requests").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from werkzeug.datastructures import MultiDict

from tracker.deadlines.timezones import TAIPEI
from tracker.identifiers import normalise_case_number
from web.open311.errors import Open311Error

WINDOW = timedelta(days=90)
# As the API's dates (web/api/fields.py): others are typing mistakes, and the window arithmetic
# would overflow near year 9999.
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_IDS = 100
STATUSES = ("open", "closed")


@dataclass(frozen=True)
class RequestFilter:
    """What ``GET requests.json`` asks for."""

    numbers: tuple[str, ...]  # non-empty: these requests, and every other argument is ignored
    received_from: datetime
    received_until: datetime
    service_codes: tuple[str, ...]
    open_: bool | None  # None: open and closed


def comma_list(args: MultiDict[str, str], name: str) -> list[str]:
    """A parameter that may be given several times and comma-delimited, as its values."""
    values: list[str] = []
    for given in args.getlist(name):
        values.extend(part.strip() for part in given.split(",") if part.strip())
    return values


def parse_instant(text: str, name: str) -> datetime:
    """An ISO 8601 date or date-time; one without an offset is Taipei time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Open311Error(
            400,
            f"{name}: '{text[:40]}' is not an ISO 8601 date-time, e.g. 2026-04-13T00:00:00+08:00",
        ) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Open311Error(400, f"{name}: must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value if value.tzinfo is not None else value.replace(tzinfo=TAIPEI)


def request_filter(args: MultiDict[str, str], now: datetime) -> RequestFilter:
    """Read and check the parameters; Open311Error naming each bad one."""
    numbers = tuple(
        dict.fromkeys(normalise_case_number(n) for n in comma_list(args, "service_request_id"))
    )
    if len(numbers) > MAX_IDS:
        raise Open311Error(400, f"service_request_id: at most {MAX_IDS} ids per request")
    problems: list[str] = []
    statuses = comma_list(args, "status")
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        problems.append(f"status: '{unknown[0][:20]}' is not a status; use open, closed or both")
    start_text = args.get("start_date", "").strip()
    end_text = args.get("end_date", "").strip()
    start = end = None
    for name, text in (("start_date", start_text), ("end_date", end_text)):
        if not text:
            continue
        try:
            value = parse_instant(text, name)
        except Open311Error as error:
            problems.extend(error.descriptions)
            continue
        if name == "start_date":
            start = value
        else:
            end = value
    if start is not None and end is not None:
        if start > end:
            problems.append("end_date: must not be before start_date")
        elif end - start > WINDOW:
            problems.append("end_date: the range may not span more than 90 days")
    if problems and not numbers:
        raise Open311Error(400, *problems)
    if end is None:
        end = start + WINDOW if start is not None else now
    if start is None:
        start = end - WINDOW
    open_ = None if len(set(statuses)) != 1 else statuses[0] == "open"
    return RequestFilter(numbers, start, end, tuple(comma_list(args, "service_code")), open_)
