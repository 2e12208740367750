"""Statistics against hand-built cases (tests/support/report_cases.py), on both backends."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, text

from tests.support.report_cases import NOW, build_report_cases
from tracker.db import Database
from tracker.models import Agency, Case, Department, Notice, Service
from tracker.reports.details import notice_delivery, overdue_reasons, survey_results
from tracker.reports.statistics import (
    Figures,
    Level,
    Period,
    Scope,
    case_statistics,
    finest_groups_statement,
    percentile,
)

APRIL = Period.of_months("2026-04", "2026-04")


def _service_id(db: Database, code: str) -> int:
    with db.transaction() as s:
        found = s.scalar(select(Service.id).where(Service.code == code))
        assert found is not None
        return found


def _row(
    db: Database, level: Level, kind: str, key: int | None, month: str | None = None
) -> Figures:
    with db.transaction() as s:
        stats = case_statistics(s, APRIL, Scope(), NOW)
    [row] = [r for r in stats.at(level, kind) if r.key == key and r.month == month]
    return row.figures


def test_a_service_month(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)
    five_wd = _service_id(catalogue_db, "five-wd")
    f = _row(catalogue_db, Level.SERVICE_MONTH, "application", five_wd, "2026-04")
    assert (f.received, f.completed, f.completed_on_time, f.completed_late) == (5, 3, 2, 1)
    assert (f.rejected, f.open, f.open_overdue, f.missed, f.extended) == (1, 1, 1, 2, 1)
    assert f.on_time_rate == pytest.approx(2 / 3)
    # Working days used 3, 5 and 11 (B's six paused days excluded, shown apart).
    assert (f.timed, f.median_days, f.p90_days) == (3, 5.0, pytest.approx(9.8))
    assert (f.paused_cases, f.paused_days, f.mean_paused_days) == (1, 6, 6.0)


def test_closing_stores_working_days_and_paused_days(catalogue_db: Database) -> None:
    cases = build_report_cases(catalogue_db)
    with catalogue_db.transaction() as s:
        stored = {
            name: (case.working_days_used, case.paused_days)
            for name in "ABCDEFGY"
            if (case := s.get(Case, cases.ids[name])) is not None
        }
    assert stored == {
        "A": (3, 0),
        "B": (5, 6),
        "C": (11, 0),
        "D": (None, None),  # still open
        "E": (2, 0),  # rejected cases keep their figures too
        "F": (4, 0),
        "G": (1, 0),
        "Y": (1, 0),
    }


def test_levels_add_up_and_petitions_stay_apart(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)
    with catalogue_db.transaction() as s:
        stats = case_statistics(s, APRIL, Scope(), NOW)
        sanmin = s.scalar(select(Agency.id).where(Agency.code == "sanmin"))
    assert stats.kinds() == ["application", "petition"]
    [everything] = stats.at(Level.ALL, "application")
    f = everything.figures
    # five-wd's five, Y (one-month, completed) and H (fourteen-d, open and overdue).
    assert (f.received, f.completed, f.completed_on_time, f.open_overdue) == (7, 4, 3, 2)
    assert (f.median_days, f.p90_days) == (4.0, pytest.approx(9.2))  # of 1, 3, 5, 11
    [month] = stats.at(Level.MONTH, "application")
    assert (month.month, month.figures.received) == ("2026-04", 7)
    agencies = {r.key: r.figures.received for r in stats.at(Level.AGENCY, "application")}
    assert agencies[sanmin] == 6
    departments = sorted(r.figures.received for r in stats.at(Level.DEPARTMENT, "application"))
    assert departments == [1, 1, 5]
    [petition] = stats.at(Level.ALL, "petition")
    assert (petition.figures.received, petition.figures.completed_on_time) == (1, 1)
    assert petition.figures.median_days == 4.0


def test_period_and_scope(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)
    five_wd = _service_id(catalogue_db, "five-wd")
    with catalogue_db.transaction() as s:
        spring = case_statistics(s, Period.of_months("2026-03", "2026-04"), Scope(), NOW)
        social = s.scalar(
            select(Department.id)
            .join(Agency)
            .where(Agency.code == "sanmin", Department.code == "social")
        )
        scoped = case_statistics(s, APRIL, Scope(department_id=social), NOW)
        one = case_statistics(s, APRIL, Scope(service_id=five_wd), NOW)
    [five] = [r for r in spring.at(Level.SERVICE, "application") if r.key == five_wd]
    assert five.figures.received == 6  # G was received in March
    assert {r.month for r in spring.at(Level.SERVICE_MONTH) if r.key == five_wd} == {
        "2026-03",
        "2026-04",
    }
    assert [r.figures.received for r in scoped.at(Level.ALL)] == [5]
    assert {r.key for r in one.at(Level.SERVICE)} == {five_wd}


def test_overdue_reasons_per_service(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)
    with catalogue_db.transaction() as s:
        reasons = overdue_reasons(s, APRIL, Scope(), NOW)
    found = {(r.service_id, r.reason, r.cases) for r in reasons}
    assert found == {
        (_service_id(catalogue_db, "five-wd"), None, 1),  # C, late without a reason recorded
        (_service_id(catalogue_db, "five-wd"), "等候會勘", 1),  # D
        (_service_id(catalogue_db, "fourteen-d"), None, 1),  # H
    }


def test_notice_delivery_by_channel_and_status(catalogue_db: Database) -> None:
    cases = build_report_cases(catalogue_db)
    five_wd = _service_id(catalogue_db, "five-wd")
    with catalogue_db.transaction() as s:
        counts = notice_delivery(s, APRIL, Scope())
        # The same count, notice by notice: those written in April (G's receipt was in March).
        expected: Counter[tuple[str, str]] = Counter()
        for notice in s.scalars(select(Notice).where(Notice.audience == "applicant")):
            if APRIL.start <= notice.created_at < APRIL.end:
                expected[notice.channel, notice.status] += 1
        scoped = notice_delivery(s, APRIL, Scope(service_id=five_wd))
        g_receipt = s.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.case_id == cases.ids["G"], Notice.kind == "receipt")
        )
    assert g_receipt == 1
    assert {(c.channel, c.status): c.notices for c in counts} == dict(expected)
    statuses = {(c.channel, c.status) for c in counts}
    wanted = {("sms", "delivered"), ("sms", "sent"), ("sms", "failed"), ("letter", "task")}
    assert wanted <= statuses
    # H's letter belongs to fourteen-d: a five-wd scope leaves it out.
    assert ("letter", "task") not in {(c.channel, c.status) for c in scoped}


def test_survey_results(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)
    with catalogue_db.transaction() as s:
        results = survey_results(s, APRIL, Scope())
    by_service = {r.service_id: (r.kind, r.responses, r.average) for r in results}
    assert by_service == {
        _service_id(catalogue_db, "five-wd"): ("application", 2, 4.5),
        _service_id(catalogue_db, "petition"): ("petition", 1, 3.0),
    }


def test_an_empty_period_has_no_rows(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        assert case_statistics(s, APRIL, Scope(), NOW).rows == []


def test_percentile_matches_percentile_cont() -> None:
    assert percentile(Counter({1: 1, 3: 1, 5: 1, 11: 1}), 0.5) == 4.0
    assert percentile(Counter({1: 1, 3: 1, 5: 1, 11: 1}), 0.9) == pytest.approx(9.2)
    assert percentile(Counter({7: 3}), 0.9) == 7.0
    assert percentile(Counter(), 0.5) is None


def test_periods_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.of_months("2026-13", "2026-12")
    with pytest.raises(ValueError, match="before"):
        Period.of_months("2026-05", "2026-04")
    with pytest.raises(ValueError, match="at most"):
        Period.of_months("2020-01", "2026-01")
    assert Period.of_months("2025-11", "2026-02").months == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


@pytest.mark.postgres
def test_postgresql_reads_the_cases_alone(pg_catalogue_db: Database) -> None:
    """The plan never joins (kinds and agencies come from the few ids), one GROUP BY a month."""
    build_report_cases(pg_catalogue_db)
    stmt = finest_groups_statement(
        Period.of_months("2026-03", "2026-04"), Scope(), NOW, "postgresql"
    )
    with pg_catalogue_db.transaction() as s:
        sql = stmt.compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True})
        plan = "\n".join(row[0] for row in s.execute(text(f"EXPLAIN {sql}")))
    assert "Join" not in plan and "Append" in plan
