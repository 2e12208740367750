"""Reports for supervisors and administrators: on-time rates, overdue reasons, notices, surveys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from tracker.clock import utc_now
from tracker.models import Role
from tracker.reports.catalogue import StatisticsCatalogue, statistics_catalogue
from tracker.reports.details import (
    NoticeCount,
    ReasonCount,
    SurveyCount,
    notice_delivery,
    overdue_reasons,
    survey_results,
)
from tracker.reports.statistics import CaseStatistics, Level, case_statistics
from web.core.csv_export import csv_response
from web.core.database import transaction
from web.core.formatting import localized
from web.counter.access import roles, signed_in
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.i18n import ct
from web.counter.report_filters import ReportFilters, read_filters
from web.counter.report_view import (
    channel_lines,
    kind_sections,
    kind_title,
    missed_services,
    number,
    percent,
    survey_lines,
)

REPORT_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Gathered:
    """Everything the database said for one report."""

    filters: ReportFilters
    catalogue: StatisticsCatalogue
    stats: CaseStatistics
    reasons: list[ReasonCount]
    notices: list[NoticeCount]
    surveys: list[SurveyCount]
    now: datetime


def _gather(db: Session) -> Gathered:
    user = signed_in()
    now = utc_now()
    catalogue = statistics_catalogue(db)
    filters = read_filters(request.args, user, catalogue, now)
    period, scope = filters.period, filters.scope
    return Gathered(
        filters,
        catalogue,
        case_statistics(db, period, scope, now),
        overdue_reasons(db, period, scope, now),
        notice_delivery(db, period, scope),
        survey_results(db, period, scope),
        now,
    )


@counter.get("/reports")
@roles(*REPORT_ROLES)
def reports() -> ResponseReturnValue:
    """On-time rates, missed limits and why, notices and surveys, for a range of months."""
    with transaction() as db:
        found = _gather(db)
    filters, catalogue = found.filters, found.catalogue
    per_service, per_department = survey_lines(found.surveys, catalogue)
    return page(
        "reports.html",
        filters=filters,
        choices=_choices(filters, catalogue),
        sections=kind_sections(found.stats, catalogue, filters.period.months),
        missed=missed_services(found.stats, catalogue, found.reasons),
        channels=channel_lines(found.notices),
        survey_services=per_service,
        survey_departments=per_department,
        now=found.now,
        percent=percent,
        number=number,
    )


# The CSV's columns: zh-TW headers (the office's spreadsheets are in Chinese) and the values.
CSV_COLUMNS: list[tuple[str, str]] = [
    ("類別", "kind"),
    ("月份", "month"),
    ("機關", "agency"),
    ("課室", "department"),
    ("服務代碼", "service_code"),
    ("服務項目", "service"),
    ("核辦時限", "time_limit"),
    ("收件數", "received"),
    ("辦結數", "completed"),
    ("如期辦結數", "completed_on_time"),
    ("逾期辦結數", "completed_late"),
    ("如期辦結率(%)", "on_time_rate"),
    ("駁回數", "rejected"),
    ("撤回數", "withdrawn"),
    ("不予處理數", "not_handled"),
    ("移文數", "transferred"),
    ("未結案數", "open"),
    ("未結逾期數", "open_overdue"),
    ("展延數", "extended"),
    ("使用工作天中位數", "median_days"),
    ("使用工作天第90百分位數", "p90_days"),
    ("補正停止計算案數", "paused_cases"),
    ("補正停止計算日數(日曆天)", "paused_days"),
]


@counter.get("/reports.csv")
@roles(*REPORT_ROLES)
def reports_csv() -> ResponseReturnValue:
    """The report's figures per service and month as CSV (UTF-8 with BOM, zh-TW headers)."""
    with transaction() as db:
        found = _gather(db)
    catalogue = found.catalogue
    rows = []
    for row in found.stats.at(Level.SERVICE_MONTH):
        assert row.key is not None
        service = catalogue.services[row.key]
        department = catalogue.departments[service.department_id]
        f = row.figures
        values: dict[str, Any] = {
            "kind": "陳情" if row.kind == "petition" else "申辦",
            "month": row.month,
            "agency": catalogue.agencies[department.agency_id].name.get("zh-TW", ""),
            "department": department.name.get("zh-TW", ""),
            "service_code": service.code,
            "service": service.name.get("zh-TW", ""),
            "time_limit": service.time_limit,
            "completed_late": f.completed_late,
            "on_time_rate": None if f.on_time_rate is None else round(100 * f.on_time_rate, 1),
            **{name: getattr(f, name) for name in _FIGURE_NAMES},
            "median_days": _rounded(f.median_days),
            "p90_days": _rounded(f.p90_days),
        }
        rows.append([values[key] for _, key in CSV_COLUMNS])
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3], r[5]))
    filters = found.filters
    span = f"{filters.first}_{filters.last}"
    return csv_response(
        f"案件統計_{span}.csv",
        [header for header, _ in CSV_COLUMNS],
        rows,
        ascii_name=f"case-report_{span}.csv",
    )


_FIGURE_NAMES = (
    "received",
    "completed",
    "completed_on_time",
    "rejected",
    "withdrawn",
    "not_handled",
    "transferred",
    "open",
    "open_overdue",
    "extended",
    "median_days",
    "p90_days",
    "paused_cases",
    "paused_days",
)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _choices(filters: ReportFilters, catalogue: StatisticsCatalogue) -> dict[str, Any]:
    """The form's lists: agencies, departments and services the user may choose."""
    # A supervisor of a whole agency is offered its departments and services only.
    in_agency = {
        d.id
        for d in catalogue.departments.values()
        if not filters.fixed_agency or d.agency_id == filters.agency_id
    }
    agencies = sorted(
        ((a.id, localized(a.name)) for a in catalogue.agencies.values()), key=lambda c: c[1]
    )
    departments = sorted(
        (
            (d.id, f"{localized(catalogue.agencies[d.agency_id].name)} {localized(d.name)}")
            for d in catalogue.departments.values()
            if d.id in in_agency
        ),
        key=lambda c: c[1],
    )
    services = sorted(
        (
            (s.id, f"{localized(s.name)} ({kind_title(s.kind)})")
            for s in catalogue.services.values()
            if (not filters.fixed_department or s.department_id == filters.department_id)
            and s.department_id in in_agency
        ),
        key=lambda c: c[1],
    )
    fixed = (
        dict(departments).get(filters.department_id or 0, "") if filters.fixed_department else ""
    )
    return {
        "agencies": agencies,
        "departments": departments,
        "services": services,
        "fixed_department": fixed or None,
        "fixed_agency": dict(agencies).get(filters.agency_id or 0)
        if filters.fixed_agency
        else None,
        "all": ct("All"),
    }
