"""The reports page and its CSV: figures, filters, scope, languages, charts without script."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.support.report_cases import build_report_cases
from tests.web.counter.conftest import Console
from tracker.db import Database
from tracker.deadlines.timezones import TAIPEI
from tracker.models import Agency

APRIL = "/counter/reports?from=2026-04&to=2026-04"


@pytest.fixture
def cases(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)


def _csv(console: Console, path: str) -> list[dict[str, str]]:
    response = console.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.usefixtures("cases")
def test_an_administrator_sees_every_department(console: Console) -> None:
    console.login("root")
    response = console.get(APRIL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Which services missed their limits, and why" in html
    assert "等候會勘" in html  # D's reason, recorded by the clerk
    assert "the service&#39;s default reason" in html  # C and H: none recorded
    assert "Petitions" in html and "Applications" in html
    assert "<caption>" in html and 'scope="row"' in html and 'scope="col"' in html
    # The chart is an image with a text alternative, and no script comes with it.
    assert 'src="data:image/svg+xml;base64,' in html and 'alt="Bar chart.' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # the console's static files only
    assert "66.7%" in html  # five-wd: 2 of 3 completed on time


@pytest.mark.usefixtures("cases")
def test_a_supervisor_sees_their_department_only(console: Console) -> None:
    console.login("boss")  # sanmin/social
    html = console.get(APRIL + "&agency=999").get_data(as_text=True)
    assert "等候會勘" in html
    assert "Petitions" not in html  # the petition belongs to sanmin/civil
    rows = _csv(console, "/counter/reports.csv?from=2026-04&to=2026-04")
    assert {r["服務代碼"] for r in rows} == {"five-wd"}


@pytest.mark.usefixtures("cases")
def test_the_csv_has_zh_tw_headers_and_the_figures(console: Console) -> None:
    console.login("root")
    rows = _csv(console, "/counter/reports.csv?from=2026-03&to=2026-04")
    april = next(r for r in rows if r["服務代碼"] == "five-wd" and r["月份"] == "2026-04")
    assert april["收件數"] == "5" and april["辦結數"] == "3" and april["如期辦結數"] == "2"
    assert april["逾期辦結數"] == "1" and april["未結逾期數"] == "1" and april["展延數"] == "1"
    assert april["如期辦結率(%)"] == "66.7"
    assert april["使用工作天中位數"] == "5.0" and april["補正停止計算日數(日曆天)"] == "6"
    assert april["類別"] == "申辦" and april["課室"] == "社會課"
    assert any(r["類別"] == "陳情" for r in rows)
    assert any(r["月份"] == "2026-03" for r in rows)


@pytest.mark.usefixtures("cases")
def test_filters(console: Console, catalogue_db: Database) -> None:
    console.login("root")
    with catalogue_db.transaction() as s:
        yanchao = s.scalar(select(Agency.id).where(Agency.code == "yanchao"))
    rows = _csv(console, f"/counter/reports.csv?from=2026-04&to=2026-04&agency={yanchao}")
    assert {r["服務代碼"] for r in rows} == {"one-month"}
    html = console.get("/counter/reports?from=2026-4&to=nonsense").get_data(as_text=True)
    assert "Write the month as YYYY-MM" in html and 'href="#filter-from"' in html


@pytest.mark.usefixtures("cases")
def test_the_page_in_chinese(console: Console) -> None:
    console.client.set_cookie("lang", "zh_TW")
    console.login("root")
    html = console.get(APRIL).get_data(as_text=True)
    assert "報表" in html and "哪些服務逾期，原因為何" in html and "陳情" in html
    assert "如期辦結率" in html


def test_an_empty_period(console: Console) -> None:
    console.login("root")
    html = console.get("/counter/reports").get_data(as_text=True)
    assert "No case was received in these months." in html


def test_clerks_may_not_see_reports(clerk: Console) -> None:
    assert clerk.get("/counter/reports").status_code == 403
    assert clerk.get("/counter/reports.csv").status_code == 403


def test_reports_open_on_the_last_twelve_months_with_this_one(console: Console) -> None:
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=TAIPEI), tick=False):
        console.login("root")
        html = console.get("/counter/reports").get_data(as_text=True)
    assert 'name="from" type="month" value="2026-01"' in html
    assert 'name="to" type="month" value="2026-12"' in html


@pytest.mark.usefixtures("cases")
def test_an_agency_head_reports_on_the_agency(console: Console) -> None:
    console.login("head")  # the whole of sanmin
    html = console.get(APRIL).get_data(as_text=True)
    assert "Agency: Sanmin District Office" in html
    rows = _csv(console, "/counter/reports.csv?from=2026-04&to=2026-04")
    assert {r["服務代碼"] for r in rows} >= {"five-wd"}
    assert "one-month" not in {r["服務代碼"] for r in rows}  # yanchao's, not theirs
