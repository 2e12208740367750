"""Open data (/open-data): monthly figures per service as CSV and JSON, and their dictionary.

The figures are tracker.reports.statistics' (the reports' own statement) at the service-and-month
level, published through tracker.reports.open_data, which suppresses small counts. Only whole months
that have ended are published. A file is computed once per period and kept for CACHE_SECONDS in the
process: the page is public, and the statement reads a year of cases.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from tracker.clock import utc_now
from tracker.deadlines.timezones import iso_taipei, local_date
from tracker.reports.catalogue import statistics_catalogue
from tracker.reports.open_data import FIELDS, SUPPRESS_BELOW, Published, published_rows
from tracker.reports.statistics import Level, Period, Scope, case_statistics, previous_month
from web.core.csv_export import csv_response
from web.core.database import current_database
from web.public.open_data_fields import (
    DICTIONARY,
    HEADERS,
    LICENCE_NAME,
    LICENCE_NAME_EN,
    LICENCE_URL,
)

open_data = Blueprint("open_data", __name__, url_prefix="/open-data")

DEFAULT_MONTHS = 12
CACHE_SECONDS = 600.0
_CACHE_KEY = "open_data_cache"
_lock = threading.Lock()


@dataclass(frozen=True)
class Dataset:
    """The published rows of one period, and when they were computed."""

    period: Period
    rows: list[Published]
    generated_at: datetime


def _latest(now: datetime) -> date:
    """The 1st of the last month that has ended (Taipei)."""
    return previous_month(local_date(now).replace(day=1))


def _period(now: datetime) -> Period:
    """The months asked for (``from``, ``to``), else the last twelve that have ended; 400 if bad."""
    latest = _latest(now)
    first_default = latest
    for _ in range(DEFAULT_MONTHS - 1):
        first_default = previous_month(first_default)
    try:
        period = Period.of_months(
            request.args.get("from") or first_default.strftime("%Y-%m"),
            request.args.get("to") or latest.strftime("%Y-%m"),
        )
    except ValueError as exc:
        abort(Response(f"{exc}\n", status=400, mimetype="text/plain"))
    if period.last > latest:
        abort(Response("only months that have ended are published\n", 400, mimetype="text/plain"))
    return period


def _dataset(period: Period, now: datetime) -> Dataset:
    cache: dict[tuple[str, str], tuple[float, Dataset]]
    cache = current_app.extensions.setdefault(_CACHE_KEY, {})
    key = (period.first.isoformat(), period.last.isoformat())
    with _lock:
        known = cache.get(key)
    if known is not None and time.monotonic() - known[0] < CACHE_SECONDS:
        return known[1]
    database = current_database()
    with database.transaction() as db:
        catalogue = statistics_catalogue(db)
        stats = case_statistics(db, period, Scope(), now)
        rows = published_rows(stats.at(Level.SERVICE_MONTH), catalogue)
    dataset = Dataset(period, rows, now)
    with _lock:
        cache[key] = (time.monotonic(), dataset)
    return dataset


@open_data.get("")
def index() -> str:
    """What is published, under which licence, and how small counts are kept private."""
    latest = _latest(utc_now()).strftime("%Y-%m")
    return render_template(
        "public/open_data.html",
        latest=latest,
        months=DEFAULT_MONTHS,
        suppress_below=SUPPRESS_BELOW,
        licence_name=LICENCE_NAME,
        licence_name_en=LICENCE_NAME_EN,
        licence_url=LICENCE_URL,
    )


@open_data.get("/dictionary")
def dictionary() -> str:
    """Every field of the files: its name, column header, meaning and unit."""
    return render_template(
        "public/open_data_dictionary.html",
        fields=DICTIONARY,
        suppress_below=SUPPRESS_BELOW,
        licence_name=LICENCE_NAME,
        licence_url=LICENCE_URL,
    )


@open_data.get("/monthly.csv")
def monthly_csv() -> Response:
    """The monthly figures per service as CSV: UTF-8 with BOM, zh-TW headers, suppressed empty."""
    now = utc_now()
    dataset = _dataset(_period(now), now)
    rows = [[p.values[name] for name in FIELDS] for p in dataset.rows]
    period = dataset.period
    name = f"case-statistics-{period.months[0]}-{period.months[-1]}.csv"
    response = csv_response(name, HEADERS, rows, ascii_name=name)
    response.headers["Cache-Control"] = f"public, max-age={int(CACHE_SECONDS)}"
    return response


@open_data.get("/monthly.json")
def monthly_json() -> Response:
    """The monthly figures per service as JSON, with the licence and the suppression rule."""
    now = utc_now()
    dataset = _dataset(_period(now), now)
    body: dict[str, Any] = {
        "title": "高雄市案件辦理統計 Kaohsiung City case statistics",
        "licence": {"name": LICENCE_NAME, "name_en": LICENCE_NAME_EN, "url": LICENCE_URL},
        "generated_at": iso_taipei(dataset.generated_at),
        "period": {"from": dataset.period.months[0], "to": dataset.period.months[-1]},
        "suppression": (
            f"Counts from 1 to {SUPPRESS_BELOW - 1}, and figures that would reveal them, are "
            "null. 計數1至2及可推算出該數值之欄位以null表示。"
        ),
        "fields": list(FIELDS),
        "rows": [p.values for p in dataset.rows],
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={int(CACHE_SECONDS)}"
    return response
