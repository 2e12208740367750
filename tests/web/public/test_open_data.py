"""Open data: the CSV and JSON shapes, suppression, the dictionary and the licence note."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient

from tests.support.report_cases import build_report_cases
from tracker.db import Database
from tracker.reports.open_data import FIELDS
from web.public.open_data_fields import DICTIONARY, HEADERS, LICENCE_URL

APRIL = "?from=2026-04&to=2026-04"


@pytest.fixture
def cases(catalogue_db: Database) -> None:
    build_report_cases(catalogue_db)


def test_the_dictionary_names_every_field_once() -> None:
    assert tuple(f.name for f in DICTIONARY) == FIELDS
    assert len(set(HEADERS)) == len(HEADERS)


@pytest.mark.usefixtures("cases")
def test_json_shape_and_suppression(client: FlaskClient) -> None:
    response = client.get("/open-data/monthly.json" + APRIL)
    assert response.status_code == 200
    body = response.get_json()
    assert body["licence"]["url"] == LICENCE_URL
    assert body["period"] == {"from": "2026-04", "to": "2026-04"}
    assert body["fields"] == list(FIELDS)
    assert all(set(row) == set(FIELDS) for row in body["rows"])  # keys sorted by Flask
    five = next(r for r in body["rows"] if r["service_code"] == "five-wd")
    # Received 5, completed 3: the two not completed would show, so completed is hidden, and
    # everything nested in it; one open overdue and one extension are small counts.
    assert five["received"] == 5
    for name in ("completed", "completed_on_time", "on_time_rate", "median_working_days"):
        assert five[name] is None, name
    assert five["open_overdue"] is None and five["extended"] is None
    one = next(r for r in body["rows"] if r["service_code"] == "one-month")
    assert one["received"] is None and one["completed"] is None  # a single case
    text = response.get_data(as_text=True)
    for personal in ("王小明", "0912", "等候會勘", "資格不符"):
        assert personal not in text


@pytest.mark.usefixtures("cases")
def test_csv_has_bom_and_zh_tw_headers(client: FlaskClient) -> None:
    response = client.get("/open-data/monthly.csv" + APRIL)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == HEADERS and rows[0][:2] == ["月份", "機關代碼"]
    five = next(r for r in rows[1:] if r[FIELDS.index("service_code")] == "five-wd")
    assert five[FIELDS.index("received")] == "5"
    assert five[FIELDS.index("completed")] == ""  # suppressed: empty


def test_only_ended_months_and_sane_ranges(client: FlaskClient) -> None:
    assert client.get("/open-data/monthly.json?from=2999-01&to=2999-01").status_code == 400
    assert client.get("/open-data/monthly.csv?from=2026-05&to=2026-01").status_code == 400
    assert client.get("/open-data/monthly.json?from=bad").status_code == 400
    body = client.get("/open-data/monthly.json").get_json()  # the last twelve months
    assert body["rows"] == [] and len(body["period"]["from"]) == 7


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", ["Open data", "Small counts are suppressed"]), ("zh_TW", ["開放資料", "小數值"])],
)
def test_pages_in_both_languages(client: FlaskClient, lang: str, words: list[str]) -> None:
    client.set_cookie("lang", lang)
    page = client.get("/open-data").get_data(as_text=True)
    assert all(word in page for word in words)
    assert "政府資料開放授權條款－第1版" in page and LICENCE_URL in page
    dictionary = client.get("/open-data/dictionary").get_data(as_text=True)
    assert "median_working_days" in dictionary and "使用工作天中位數" in dictionary
    assert "<caption>" in dictionary and 'scope="row"' in dictionary
