"""The open data's fields: name, zh-TW column header, meaning and unit (the data dictionary)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

LICENCE_NAME = "政府資料開放授權條款－第1版"
LICENCE_NAME_EN = "Open Government Data License, version 1.0"
LICENCE_URL = "https://data.gov.tw/license"


@dataclass(frozen=True)
class FieldDoc:
    """One field of the published data."""

    name: str  # the JSON key
    header: str  # the CSV's column header (zh-TW)
    meaning: Any  # lazy text
    unit: Any  # lazy text


DICTIONARY = (
    FieldDoc(
        "month",
        "月份",
        _l(
            "Month of receipt (Asia/Taipei), YYYY-MM: the cases counted in the row were "
            "received in it."
        ),
        _l("month"),
    ),
    FieldDoc(
        "agency_code",
        "機關代碼",
        _l("Code of the agency the service belongs to."),
        _l("text"),
    ),
    FieldDoc(
        "agency_name_zh",
        "機關名稱",
        _l("Name of the agency, in Chinese."),
        _l("text"),
    ),
    FieldDoc(
        "agency_name_en",
        "機關英文名稱",
        _l("Name of the agency, in English."),
        _l("text"),
    ),
    FieldDoc(
        "department_code",
        "課室代碼",
        _l("Code of the department (section) that offers the service."),
        _l("text"),
    ),
    FieldDoc(
        "department_name_zh",
        "課室名稱",
        _l("Name of the department, in Chinese."),
        _l("text"),
    ),
    FieldDoc(
        "department_name_en",
        "課室英文名稱",
        _l("Name of the department, in English."),
        _l("text"),
    ),
    FieldDoc(
        "service_code",
        "服務代碼",
        _l("Code of the service, as on the public service pages."),
        _l("text"),
    ),
    FieldDoc(
        "service_name_zh",
        "服務項目",
        _l("Name of the service, in Chinese."),
        _l("text"),
    ),
    FieldDoc(
        "service_name_en",
        "服務項目英文名稱",
        _l("Name of the service, in English."),
        _l("text"),
    ),
    FieldDoc(
        "kind",
        "類別",
        _l("application (申辦) or petition (陳情)."),
        _l("text"),
    ),
    FieldDoc(
        "time_limit",
        "核辦時限",
        _l(
            "The published time limit: a number and a unit, wd working days, d calendar days,"
            " mo months, h hours, min minutes."
        ),
        _l("text"),
    ),
    FieldDoc(
        "received",
        "收件數",
        _l("Cases received in the month."),
        _l("cases"),
    ),
    FieldDoc(
        "completed",
        "辦結數",
        _l("Of those, cases completed by the time the file was made."),
        _l("cases"),
    ),
    FieldDoc(
        "completed_on_time",
        "如期辦結數",
        _l(
            "Of the completed cases, those completed within their time limit (extensions and "
            "supplement pauses included)."
        ),
        _l("cases"),
    ),
    FieldDoc(
        "on_time_rate",
        "如期辦結率",
        _l("Completed on time divided by completed, from 0 to 1."),
        _l("ratio (0–1)"),
    ),
    FieldDoc(
        "open_overdue",
        "未結逾期數",
        _l("Cases received in the month that are still open and past their time limit."),
        _l("cases"),
    ),
    FieldDoc(
        "extended",
        "展延數",
        _l(
            "Cases whose time limit was extended once, with a reason (Administrative "
            "Procedure Act Art. 51)."
        ),
        _l("cases"),
    ),
    FieldDoc(
        "median_working_days",
        "使用工作天中位數",
        _l(
            "Median of the working days the completed cases took, not counting the day of "
            "receipt nor the days waiting for the applicant's documents."
        ),
        _l("working days"),
    ),
    FieldDoc(
        "p90_working_days",
        "使用工作天第90百分位數",
        _l(
            "90th percentile of the same working days: nine in ten completed cases took at "
            "most this long."
        ),
        _l("working days"),
    ),
)

HEADERS = [f.header for f in DICTIONARY]
