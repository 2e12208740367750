"""The retention purge (個資法 Art. 11): personal data of closed cases erased past retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.conftest import DATA
from tests.factories import create_case
from tests.support.line_standin import new_user_id
from tests.support.report_cases import NOW as REPORT_NOW
from tests.support.report_cases import build_report_cases
from tracker.cases import actions, closing
from tracker.cases.line_binding import BOUND, ENDED, format_code, line_offer, on_text
from tracker.cases.retention import PERSONAL_DATA_PURGED, purge, retention_cutoff
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.catalogue.specs import Retention
from tracker.db import Database
from tracker.models import (
    AuditEntry,
    Case,
    CaseEvent,
    LineBinding,
    Notice,
    Service,
    ServiceVersion,
    SurveyResponse,
)
from tracker.reports.catalogue import statistics_catalogue
from tracker.reports.details import notice_delivery, overdue_reasons, survey_results
from tracker.reports.open_data import published_rows
from tracker.reports.statistics import Level, Period, Scope, case_statistics

NOW = datetime(2026, 4, 13, 2, 0, tzinfo=UTC)  # Monday 2026-04-13 10:00 in Taipei
ACTOR = "clerk:test"


def taipei(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC) - timedelta(hours=8)


# -- the cutoff ---------------------------------------------------------------------------------


def test_years_count_on_the_taipei_calendar() -> None:
    # 2026-04-13 01:00 in Taipei is still 04-12 in UTC: the anniversary is Taipei's.
    now = taipei("2026-04-13", 1)
    assert retention_cutoff(now, Retention(5, "y")) == taipei("2021-04-13", 1)


def test_months_end_at_the_last_day_of_a_shorter_month() -> None:
    now = taipei("2026-03-31")
    assert retention_cutoff(now, Retention(1, "mo")) == taipei("2026-02-28")
    assert retention_cutoff(now, Retention(18, "mo")) == taipei("2024-09-30")


def test_days_are_calendar_days() -> None:
    assert retention_cutoff(taipei("2026-04-13"), Retention(90, "d")) == taipei("2026-01-13")


# -- which cases go -----------------------------------------------------------------------------


@pytest.fixture
def retention_db(database: Database, tmp_path: Path) -> Database:
    """The test catalogue, with fourteen-d keeping personal data 90 days only."""
    text = (DATA / "test-catalogue.yaml").read_text(encoding="utf-8")
    text = text.replace("    time_limit: 14d\n", "    time_limit: 14d\n    retention: 90d\n")
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    with database.transaction() as s:
        load_catalogue(s, read_catalogue(path), now=taipei("2019-01-02"))
    return database


def _closed(db: Database, service: str, received: str, closed: str, **fields: Any) -> int:
    with db.transaction() as s:
        case_id = create_case(s, service, now=taipei(received), **fields).id
    with db.transaction() as s:
        closing.complete(s, case_id, actor=ACTOR, now=taipei(closed), note="結果：王小明已領取")
    return case_id


def _mixed(db: Database) -> dict[str, int]:
    """Cases either side of their retention, and an old one still open."""
    ids = {
        # five-wd keeps 5 years: its cutoff at NOW is 2021-04-13.
        "expired": _closed(db, "five-wd", "2020-01-06", "2020-01-08", email="ming@example.tw"),
        "recent": _closed(db, "five-wd", "2022-01-03", "2022-01-05"),
        # fourteen-d keeps 90 days: its cutoff is 2026-01-13.
        "short_expired": _closed(db, "fourteen-d", "2025-11-03", "2025-12-01"),
        "short_recent": _closed(db, "fourteen-d", "2026-03-02", "2026-03-05"),
    }
    with db.transaction() as s:
        ids["open"] = create_case(s, now=taipei("2020-01-06")).id
    with db.transaction() as s:
        actions.add_note(s, ids["expired"], "申請人電話改為 0911-111-111", public=False,
                         actor=ACTOR, now=taipei("2020-01-07"))  # fmt: skip
        case = s.get_one(Case, ids["expired"])
        answer = SurveyResponse(score=4, comment="王小明覺得很好", answered_at=taipei("2020-01-09"))
        answer.case_id, answer.service_id = case.id, case.service_id
        answer.department_id = case.department_id
        s.add(answer)
    return ids


def _snapshot(db: Database, case_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        case = s.get_one(Case, case_id)
        return {
            "name": case.applicant_name,
            "phone": case.applicant_phone,
            "email": case.applicant_email,
            "erased_at": case.personal_data_erased_at,
            "notes": s.scalars(
                select(CaseEvent.note).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            ).all(),
            "notices": s.execute(
                select(Notice.recipient, Notice.payload, Notice.rendered)
                .where(Notice.case_id == case_id)
                .order_by(Notice.id)
            ).all(),
        }


def test_expired_cases_lose_their_personal_data(retention_db: Database) -> None:
    ids = _mixed(retention_db)
    report = purge(retention_db, NOW)
    assert dict(report.erased) == {"five-wd": 1, "fourteen-d": 1}
    for name in ("expired", "short_expired"):
        erased = _snapshot(retention_db, ids[name])
        assert erased["name"] == ""
        assert erased["phone"] is None
        assert erased["email"] is None
        assert erased["erased_at"] == NOW
        assert set(erased["notes"]) == {None}
        assert {(r, json.dumps(p), v) for r, p, v in erased["notices"]} == {(None, "{}", None)}
    with retention_db.transaction() as s:
        assert s.scalar(select(SurveyResponse.comment)) is None
        assert s.scalar(select(SurveyResponse.score)) == 4


def test_recent_and_open_cases_keep_theirs(retention_db: Database) -> None:
    ids = _mixed(retention_db)
    before = {name: _snapshot(retention_db, ids[name]) for name in ("recent", "short_recent")}
    before["open"] = _snapshot(retention_db, ids["open"])
    purge(retention_db, NOW)
    for name, snapshot in before.items():
        assert _snapshot(retention_db, ids[name]) == snapshot
        assert snapshot["name"] == "王小明"
        assert snapshot["erased_at"] is None


def test_the_case_keeps_its_number_dates_outcome_and_figures(retention_db: Database) -> None:
    ids = _mixed(retention_db)

    def kept() -> tuple[Any, ...]:
        with retention_db.transaction() as s:
            c = s.get_one(Case, ids["expired"])
            return (c.number, c.lookup_code, c.received_at, c.due_date, c.closed_at, c.status,
                    c.working_days_used, c.paused_days, c.service_id, c.updated_at)  # fmt: skip

    before = kept()
    purge(retention_db, NOW)
    assert kept() == before


def test_a_dry_run_counts_and_changes_nothing(retention_db: Database) -> None:
    ids = _mixed(retention_db)
    before = {name: _snapshot(retention_db, case_id) for name, case_id in ids.items()}
    report = purge(retention_db, NOW, dry_run=True)
    assert report.dry_run
    assert dict(report.erased) == {"five-wd": 1, "fourteen-d": 1}
    assert {name: _snapshot(retention_db, case_id) for name, case_id in ids.items()} == before
    with retention_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_second_purge_erases_nothing(retention_db: Database) -> None:
    _mixed(retention_db)
    assert purge(retention_db, NOW).total == 2
    audits = [entry.id for entry in _audit_entries(retention_db)]
    again = purge(retention_db, NOW)
    assert again.total == 0
    assert again.batches == 0
    assert [entry.id for entry in _audit_entries(retention_db)] == audits


def test_a_purge_cut_short_is_finished_by_the_next(retention_db: Database) -> None:
    for day in ("2020-01-06", "2020-01-13", "2020-01-20"):
        _closed(retention_db, "five-wd", day, day)
    first = purge(retention_db, NOW, batch_size=1, max_batches=2)
    assert (first.total, first.complete) == (2, False)
    rest = purge(retention_db, NOW, batch_size=1)
    assert (rest.total, rest.complete) == (1, True)
    with retention_db.transaction() as s:
        held = s.scalar(select(func.count()).where(Case.personal_data_erased_at.is_(None)))
    assert held == 0


def test_progress_is_told_after_each_batch(retention_db: Database) -> None:
    for day in ("2020-01-06", "2020-01-13", "2020-01-20"):
        _closed(retention_db, "five-wd", day, day)
    seen: list[int] = []
    purge(retention_db, NOW, batch_size=2, progress=lambda report: seen.append(report.total))
    assert seen == [2, 3]


def test_the_audit_says_how_many_never_who(retention_db: Database) -> None:
    _mixed(retention_db)
    purge(retention_db, NOW, actor="cli:ops")
    # One entry per committed batch; the two retentions are two batches here.
    entries = _audit_entries(retention_db)
    assert [(e.action, e.actor, e.at, e.target) for e in entries] == [
        (PERSONAL_DATA_PURGED, "cli:ops", NOW, None)
    ] * 2
    assert sorted(json.dumps(e.data, sort_keys=True) for e in entries) == [
        '{"cases": 1, "services": {"five-wd": 1}}',
        '{"cases": 1, "services": {"fourteen-d": 1}}',
    ]


def _audit_entries(db: Database) -> list[AuditEntry]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_bound_line_user_is_forgotten(retention_db: Database) -> None:
    user = new_user_id()
    with retention_db.transaction() as s:
        case = create_case(s, now=taipei("2020-01-06"))
        offer = line_offer(s, case, taipei("2020-01-06"))
        assert offer is not None
        assert offer.code is not None
        case_id, code = case.id, offer.code
    with retention_db.transaction() as s:
        on_text(s, user, format_code(code), event_id="e1", now=taipei("2020-01-06", 11))
        on_text(s, user, "確認", event_id="e2", now=taipei("2020-01-06", 11))
        assert s.scalars(select(LineBinding.state)).one() == BOUND
    with retention_db.transaction() as s:
        closing.complete(s, case_id, actor=ACTOR, now=taipei("2020-01-08"))
    purge(retention_db, NOW)
    with retention_db.transaction() as s:
        assert s.get_one(Case, case_id).applicant_line_id is None
        binding = s.scalars(select(LineBinding)).one()
        assert (binding.state, binding.line_user_id) == (ENDED, None)
        assert s.scalar(select(func.count()).where(Notice.recipient == user)) == 0


def test_a_shorter_retention_applies_to_cases_already_closed(retention_db: Database) -> None:
    ids = _mixed(retention_db)
    with retention_db.transaction() as s:
        version = select(Service.current_version_id).where(Service.code == "five-wd")
        s.execute(
            update(ServiceVersion)
            .where(ServiceVersion.id == version.scalar_subquery())
            .values(retention="4y")
        )
    report = purge(retention_db, NOW)
    assert report.erased["five-wd"] == 2
    assert _snapshot(retention_db, ids["recent"])["name"] == ""


# -- what reports and open data read stays the same ---------------------------------------------


def _reports(db: Database) -> tuple[Any, ...]:
    april = Period.of_months("2026-03", "2026-04")
    with db.transaction() as s:
        stats = case_statistics(s, april, Scope(), REPORT_NOW)
        catalogue = statistics_catalogue(s)
        return (
            stats.rows,
            published_rows(stats.at(Level.SERVICE_MONTH), catalogue),
            overdue_reasons(s, april, Scope(), REPORT_NOW),
            notice_delivery(s, april, Scope()),
            survey_results(s, april, Scope()),
        )


def test_reports_and_open_data_are_the_same_after_a_purge(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)
    with catalogue_db.transaction() as s:
        s.execute(update(SurveyResponse).values(comment="王小明：很快"))
    before = _reports(catalogue_db)
    # Five years and a day after the last closing: every closed case goes, the open ones stay.
    report = purge(catalogue_db, datetime(2031, 4, 29, tzinfo=UTC))
    assert report.total == 7
    after = _reports(catalogue_db)
    assert after == before
    assert before[0]  # the comparison is of something
