"""The reports' filters: a GET form (month range, agency, department, service), read and checked.

A supervisor's reports cover their own department, as their queues do (web/counter/access.py):
the department is fixed and only its services are offered. A supervisor of a whole agency chooses
among its departments. Administrators, the office's oversight staff, choose among every agency
and department.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tracker.deadlines.timezones import local_date
from tracker.models import Role
from tracker.reports.catalogue import StatisticsCatalogue
from tracker.reports.statistics import MAX_MONTHS, Period, Scope, previous_month
from web.counter.access import ConsoleUser
from web.counter.i18n import ct

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass
class ReportFilters:
    """What the form asked for, as a period and a scope, with any errors to show."""

    first: str
    last: str
    agency_id: int | None
    department_id: int | None
    service_id: int | None
    fixed_department: bool
    errors: dict[str, str] = field(default_factory=dict)
    fixed_agency: bool = False

    @property
    def period(self) -> Period:
        """The months asked for."""
        return Period.of_months(self.first, self.last)

    @property
    def scope(self) -> Scope:
        """The cases asked for."""
        return Scope(self.agency_id, self.department_id, self.service_id)

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (for the CSV link)."""
        values = {"from": self.first, "to": self.last}
        for name, value in (
            ("agency", self.agency_id),
            ("department", self.department_id),
            ("service", self.service_id),
        ):
            fixed = (name == "department" and self.fixed_department) or (
                name == "agency" and self.fixed_agency
            )
            if value is not None and not fixed:
                values[name] = str(value)
        return values


# The default report: the last twelve months, the current one (so far) included, so that an
# office that started this month sees its cases at once.
DEFAULT_MONTHS = 12


def default_months(now: datetime) -> tuple[str, str]:
    """The first and last month (``YYYY-MM``, Taipei) of the default report."""
    month = local_date(now).replace(day=1)
    first = month
    for _ in range(DEFAULT_MONTHS - 1):
        first = previous_month(first)
    return first.strftime("%Y-%m"), month.strftime("%Y-%m")


def read_filters(
    args: Mapping[str, str], user: ConsoleUser, catalogue: StatisticsCatalogue, now: datetime
) -> ReportFilters:
    """The filters from the query string; anything wrong falls back to a default, with a note."""
    errors: dict[str, str] = {}
    default_first, default_last = default_months(now)
    first = _month(args.get("from"), default_first, "from", errors)
    last = _month(args.get("to"), default_last, "to", errors)
    if not errors:
        try:
            Period.of_months(first, last)
        except ValueError:
            errors["to"] = ct(
                "The last month must not come before the first, and a report covers at most "
                "%(months)d months.",
                months=MAX_MONTHS,
            )
            first, last = default_first, default_last
    agency_wide = user.role == Role.SUPERVISOR and user.agency_wide
    fixed = user.role == Role.SUPERVISOR and not agency_wide
    if agency_wide:
        agency = user.agency_id
    else:
        agency = None if fixed else _choice(args, "agency", catalogue.agencies, errors)
    department = (
        user.department_id if fixed else _choice(args, "department", catalogue.departments, errors)
    )
    service = _choice(args, "service", catalogue.services, errors)
    if (
        agency_wide
        and service is not None
        and catalogue.departments[catalogue.services[service].department_id].agency_id != agency
    ):
        errors["service"] = ct("Choose one of your agency's services.")
        service = None
    if (
        department is not None
        and agency is not None
        and catalogue.departments[department].agency_id != agency
    ):
        errors["department"] = ct("That department is not part of the chosen agency.")
        department = None
    if fixed and service is not None and catalogue.services[service].department_id != department:
        errors["service"] = ct("Choose one of your department's services.")
        service = None
    return ReportFilters(first, last, agency, department, service, fixed, errors, agency_wide)


def _month(value: str | None, default: str, name: str, errors: dict[str, str]) -> str:
    if not value:
        return default
    value = value.strip()
    # <input type="month"> sends YYYY-MM; the calendar covers 2000 onwards well enough.
    if not _MONTH.fullmatch(value) or not 2000 <= int(value[:4]) <= 2200:
        errors[name] = ct("Write the month as YYYY-MM, e.g. 2026-03.")
        return default
    return value


def _choice(
    args: Mapping[str, str], name: str, known: Mapping[int, object], errors: dict[str, str]
) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) not in known:
        errors[name] = ct("Choose from the list.")
        return None
    return int(value)
