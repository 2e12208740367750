"""Read the official office calendar (政府行政機關辦公日曆表) CSV of the DGPA (人事行政總處).

Pure: bytes in, days out. The yearly file on data.gov.tw looks like::

    西元日期,星期,是否放假,備註
    20260216,一,2,農曆除夕
    20260217,二,2,春節
    20260223,一,0,

``是否放假`` is 0 for a working day and 2 for a day off (weekends included); a make-up working
Saturday is a 0 on a 六 row (e.g. ``20250208,六,0,補行上班``). The file is any one error away
from moving every deadline in the city, so a malformed file is refused whole, naming the line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date

HEADER = ("西元日期", "星期", "是否放假", "備註")
# date.weekday() order: Monday is 0.
_WEEKDAYS = "一二三四五六日"
_DAY_OFF = {"0": False, "2": True}
_DATE_PATTERN = re.compile(r"^\d{8}$")
# The file has been published in UTF-8 (with and without BOM) and, in some years, in Big5;
# cp950 is the Windows flavour of Big5 that Excel writes, plain big5 the last resort.
_ENCODINGS = ("utf-8", "cp950", "big5")
_BOM = b"\xef\xbb\xbf"


class DgpaFormatError(ValueError):
    """A DGPA calendar file that cannot be trusted, with the 1-based line at fault."""

    def __init__(self, filename: str, line: int, reason: str) -> None:
        super().__init__(f"{filename}:{line}: {reason}")
        self.filename = filename
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DgpaDay:
    date: date
    is_working: bool
    note: str


def parse_dgpa(data: bytes, filename: str) -> list[DgpaDay]:
    """Read a DGPA office calendar CSV, in file order; raise ``DgpaFormatError`` on any flaw."""
    lines = _decode(data, filename).splitlines()
    numbered = [(number, line) for number, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise DgpaFormatError(filename, 1, "the file is empty")
    header_number, header = numbered[0]
    if tuple(_cells(header, filename, header_number)[: len(HEADER)]) != HEADER:
        raise DgpaFormatError(
            filename,
            header_number,
            f"the first line must be the header {','.join(HEADER)} (found {header.strip()!r})",
        )
    days: list[DgpaDay] = []
    first_seen: dict[date, int] = {}
    for number, line in numbered[1:]:
        day = _row(_cells(line, filename, number), filename, number)
        if day.date in first_seen:
            raise DgpaFormatError(
                filename,
                number,
                f"duplicate date {day.date.isoformat()} (first on line {first_seen[day.date]})",
            )
        first_seen[day.date] = number
        days.append(day)
    if not days:
        raise DgpaFormatError(filename, header_number + 1, "no dates after the header")
    return days


def _decode(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DgpaFormatError(filename, 1, "the file is UTF-16: save it as CSV in UTF-8 or Big5")
    # A UTF-8 BOM settles the encoding: decoding the rest as Big5 would only produce noise.
    # (Stripping it here also keeps error offsets counted in the bytes we report lines for.)
    if data.startswith(_BOM):
        data, encodings = data[len(_BOM) :], ("utf-8",)
    else:
        encodings = _ENCODINGS
    furthest = 0
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            furthest = max(furthest, exc.start)
    # Report where the most forgiving attempt gave up: that is where the damage is.
    line = data[:furthest].count(b"\n") + 1
    raise DgpaFormatError(
        filename, line, "cannot read this line as UTF-8 or Big5 text: is this the DGPA CSV file?"
    )


def _cells(line: str, filename: str, number: int) -> list[str]:
    try:
        cells = next(csv.reader([line]))
    except csv.Error as exc:
        raise DgpaFormatError(filename, number, f"not a CSV line: {exc}") from None
    cells = [cell.strip() for cell in cells]
    # Spreadsheet exports may pad rows with empty columns; they carry nothing.
    while len(cells) > len(HEADER) and not cells[-1]:
        cells.pop()
    return cells


def _row(cells: list[str], filename: str, number: int) -> DgpaDay:
    if not 3 <= len(cells) <= len(HEADER):
        raise DgpaFormatError(
            filename,
            number,
            f"expected the columns {','.join(HEADER)}, found {len(cells)} columns",
        )
    raw_date, weekday, day_off = cells[:3]
    note = cells[3] if len(cells) == len(HEADER) else ""
    if not _DATE_PATTERN.match(raw_date):
        raise DgpaFormatError(
            filename, number, f"bad date '{raw_date}': write YYYYMMDD, e.g. 20260101"
        )
    try:
        day = date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:]))
    except ValueError:
        raise DgpaFormatError(filename, number, f"bad date '{raw_date}': no such day") from None
    expected = _WEEKDAYS[day.weekday()]
    # The weekday column is redundant; a mismatch means the rows were edited or shifted by hand.
    if weekday != expected:
        raise DgpaFormatError(
            filename,
            number,
            f"weekday '{weekday}' does not match {day.isoformat()}, which is a {expected}",
        )
    if day_off not in _DAY_OFF:
        raise DgpaFormatError(
            filename,
            number,
            f"bad 是否放假 value '{day_off}': use 0 (working day) or 2 (day off)",
        )
    return DgpaDay(day, not _DAY_OFF[day_off], note)
