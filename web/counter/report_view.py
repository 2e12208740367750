"""The reports page's content from tracker.reports.statistics: sections, lines, charts, notes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracker.reports.catalogue import StatisticsCatalogue
from tracker.reports.details import NoticeCount, ReasonCount, SurveyCount
from tracker.reports.statistics import CaseStatistics, Figures, Level
from web.core.formatting import limit_words, localized
from web.counter.charts import horizontal_bars
from web.counter.i18n import ct, lazy

KIND_TITLES = {"application": lazy("Applications"), "petition": lazy("Petitions")}
# How many recorded reasons the page lists per service; the CSV has every figure anyway.
REASONS_SHOWN = 5


@dataclass(frozen=True)
class Line:
    """One row of a figures table: what it is about, and its figures."""

    label: str
    figures: Figures
    detail: str = ""  # the department of a service, the limit
    month: str = ""


@dataclass(frozen=True)
class Chart:
    """An SVG chart as an image address, with its text alternative."""

    src: str
    alt: str


@dataclass
class KindSection:
    """Everything about one kind of service: applications, or petitions apart."""

    kind: str
    title: str
    total: Figures
    services: list[Line] = field(default_factory=list)
    months: list[Line] = field(default_factory=list)
    service_months: list[Line] = field(default_factory=list)
    departments: list[Line] = field(default_factory=list)
    agencies: list[Line] = field(default_factory=list)
    chart: Chart | None = None


@dataclass(frozen=True)
class Missed:
    """A service that missed limits, and the reasons recorded for it."""

    label: str
    detail: str
    figures: Figures
    reasons: list[tuple[str, int, bool]]  # text, cases, whether it is the service's default
    more_reasons: int


@dataclass(frozen=True)
class ChannelLine:
    """Notices on one channel: how many, and what became of them."""

    channel: str
    total: int
    delivered: int
    accepted: int  # handed to the provider, no final report yet
    failed: int
    waiting: int  # not yet sent (pending, sending)
    task: int  # no usable channel: the clerk contacts the applicant by phone or letter

    @property
    def rate(self) -> float | None:
        """Delivered as a share of the notices whose fate is known (delivered or failed)."""
        known = self.delivered + self.failed
        return self.delivered / known if known else None


@dataclass(frozen=True)
class SurveyLine:
    """Survey answers about a service or a department."""

    label: str
    detail: str
    responses: int
    average: float | None


def kind_sections(
    stats: CaseStatistics, catalogue: StatisticsCatalogue, months: Sequence[str]
) -> list[KindSection]:
    """One section per kind that had cases in the period, applications first."""
    sections = []
    for kind in stats.kinds():
        total = next(r.figures for r in stats.at(Level.ALL, kind))
        section = KindSection(kind, kind_title(kind), total)
        section.services = sorted(
            (_service_line(catalogue, r.key, r.figures) for r in stats.at(Level.SERVICE, kind)),
            key=lambda line: (line.detail, line.label),
        )
        by_month = {r.month: r.figures for r in stats.at(Level.MONTH, kind)}
        section.months = [
            Line(month, by_month.get(month, Figures()), month=month) for month in months
        ]
        section.service_months = sorted(
            (
                _service_line(catalogue, r.key, r.figures, month=r.month or "")
                for r in stats.at(Level.SERVICE_MONTH, kind)
            ),
            key=lambda line: (line.detail, line.label, line.month),
        )
        section.departments = sorted(
            (
                Line(_department_name(catalogue, r.key), r.figures)
                for r in stats.at(Level.DEPARTMENT, kind)
                if r.key is not None
            ),
            key=lambda line: line.label,
        )
        section.agencies = sorted(
            (
                Line(localized(catalogue.agencies[r.key].name), r.figures)
                for r in stats.at(Level.AGENCY, kind)
                if r.key is not None
            ),
            key=lambda line: line.label,
        )
        section.chart = _on_time_chart(section)
        sections.append(section)
    return sections


def missed_services(
    stats: CaseStatistics, catalogue: StatisticsCatalogue, reasons: Sequence[ReasonCount]
) -> list[Missed]:
    """Services whose cases missed their limit, most first, with the reasons recorded."""
    by_service: dict[int, list[ReasonCount]] = defaultdict(list)
    for reason in reasons:
        by_service[reason.service_id].append(reason)
    found = []
    for row in stats.at(Level.SERVICE):
        if row.key is None or row.figures.missed == 0:
            continue
        line = _service_line(catalogue, row.key, row.figures)
        default = localized(catalogue.services[row.key].overdue_reason)
        listed = [
            (r.reason or default, r.cases, r.reason is None) for r in by_service.get(row.key, [])
        ]
        found.append(
            Missed(
                line.label,
                line.detail,
                row.figures,
                listed[:REASONS_SHOWN],
                max(0, len(listed) - REASONS_SHOWN),
            )
        )
    return sorted(found, key=lambda m: (-m.figures.missed, m.label))


def channel_lines(counts: Sequence[NoticeCount]) -> list[ChannelLine]:
    """Applicant notices per channel (SMS, email, letter), by what became of them."""
    by_channel: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for count in counts:
        by_channel[count.channel][count.status] += count.notices
    order = {"sms": 0, "email": 1, "letter": 2}
    return [
        ChannelLine(
            channel,
            sum(statuses.values()),
            statuses["delivered"],
            statuses["sent"],
            statuses["failed"] + statuses["undelivered"],
            statuses["pending"] + statuses["sending"],
            statuses["task"],
        )
        for channel, statuses in sorted(by_channel.items(), key=lambda kv: order.get(kv[0], 9))
    ]


def survey_lines(
    counts: Sequence[SurveyCount], catalogue: StatisticsCatalogue
) -> tuple[list[SurveyLine], list[SurveyLine]]:
    """Survey answers per service and per department (averages of the scores 1-5)."""
    services: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    departments: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for count in counts:
        for bucket in (services[count.service_id], departments[count.department_id]):
            bucket[0] += count.responses
            bucket[1] += count.score_total
    per_service = sorted(
        (
            SurveyLine(
                _service_line(catalogue, key, Figures()).label,
                kind_title(catalogue.services[key].kind),
                n,
                total / n if n else None,
            )
            for key, (n, total) in services.items()
        ),
        key=lambda line: line.label,
    )
    per_department = sorted(
        (
            SurveyLine(_department_name(catalogue, key), "", n, total / n if n else None)
            for key, (n, total) in departments.items()
        ),
        key=lambda line: line.label,
    )
    return per_service, per_department


def kind_title(kind: str) -> str:
    """Applications or petitions, in the reader's language."""
    return str(KIND_TITLES.get(kind, kind))


def _service_line(
    catalogue: StatisticsCatalogue, service_id: int | None, figures: Figures, month: str = ""
) -> Line:
    assert service_id is not None
    service = catalogue.services[service_id]
    detail = _department_name(catalogue, service.department_id)
    return Line(
        localized(service.name),
        figures,
        detail=f"{detail} · {limit_words(service.time_limit)}",
        month=month,
    )


def _department_name(catalogue: StatisticsCatalogue, department_id: int | None) -> str:
    assert department_id is not None
    department = catalogue.departments[department_id]
    agency = catalogue.agencies[department.agency_id]
    return f"{localized(agency.name)} {localized(department.name)}"


def _on_time_chart(section: KindSection) -> Chart | None:
    """On-time rate per service; the table beside it has the same figures."""
    lines = [line for line in section.services if line.figures.on_time_rate is not None]
    if not lines:
        return None
    rates = [round(100 * (line.figures.on_time_rate or 0), 1) for line in lines]
    title = ct("%(kind)s: completed on time, per cent of completed", kind=section.title)
    alt = ct(
        "Bar chart. %(title)s. %(values)s. The table per service has the same figures.",
        title=title,
        values="; ".join(
            f"{line.label} {rate:g}%" for line, rate in zip(lines, rates, strict=True)
        ),
    )
    src = horizontal_bars(
        title, [line.label for line in lines], [(ct("On time"), rates)], maximum=100, unit="%"
    )
    return Chart(src, alt)


def percent(rate: float | None) -> str:
    """A share as ``93.5%``; a dash when there is nothing to divide."""
    return "—" if rate is None else f"{100 * rate:.1f}%"


def number(value: float | None) -> str:
    """A median or average to one decimal (``4`` or ``4.5``); a dash when there is none."""
    return "—" if value is None else f"{value:.1f}".removesuffix(".0")
