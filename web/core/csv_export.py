"""CSV downloads that Excel opens correctly: UTF-8 with a byte order mark, CRLF line ends.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula: a service name or a reason typed as ``=HYPERLINK(...)`` would
run on the supervisor's machine (OWASP "CSV injection"). Such text cells get a leading ``'``,
which spreadsheets show as text; numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from flask import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet will not run it: text that could start a formula gets a ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The table as CSV text, starting with the BOM (Excel reads plain UTF-8 as Big5)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(value) for value in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    ascii_name: str = "data.csv",
) -> Response:
    """A download of the table; ``filename`` may hold Chinese (RFC 6266 ``filename*``), and
    ``ascii_name`` is for the clients that only read ``filename``."""
    response = Response(csv_text(header, rows), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
