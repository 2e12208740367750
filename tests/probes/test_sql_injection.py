"""Probe: SQL typed into the console search, the API's filters and Open311's filters.

Each answer is compared with a harmless query's: no 5xx, no rows the harmless one would not
give (the clerk's search never reaches another department's cases, a LIKE wildcard matches
itself only), and afterwards every table is still there with the same rows.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Flask

from tests.probes.snapshot import row_counts, table_names
from tests.web.api.conftest import ApiClient, Keys
from tests.web.counter.conftest import Console, file_civil_case, file_social_case
from tracker.db import Database

PAYLOADS = (
    "' OR '1'='1",
    "' OR 1=1 --",
    "1; DROP TABLE cases;--",
    "%' --",
    "%",
    "_",
    "\\%",
    "王%' UNION SELECT applicant_name FROM cases --",
    '" OR ""="',
    "20260413-0001' OR '1'='1",
    "0912' OR '1'='1",
    "five-wd' OR '1'='1",
    "sanmin/social' OR '1'='1",
)
# A result links to its case; the search box itself echoes the query, which may look like one.
_RESULT = re.compile(r'href="/counter/cases/(\d{8}-\d{4,6})"')


def _numbers(html: str) -> set[str]:
    return set(_RESULT.findall(html))


def _cases(database: Database) -> tuple[set[str], set[str]]:
    """Three cases of the clerk's department and two of another."""
    ours = {file_social_case(database).number for _ in range(3)}
    theirs = {file_civil_case(database).number for _ in range(2)}
    return ours, theirs


def test_the_console_search_takes_sql_as_text(clerk: Console, catalogue_db: Database) -> None:
    ours, _theirs = _cases(catalogue_db)
    before, tables = row_counts(catalogue_db), table_names(catalogue_db)
    # Harmless: the name, the phone and a number prefix each find exactly our three cases.
    for query in ("王小明", "0912-345-678", "345678", next(iter(ours))[:8]):
        response = clerk.get("/counter/search", query_string={"q": query})
        assert _numbers(response.get_data(as_text=True)) == ours, query
    for query in PAYLOADS:
        response = clerk.get("/counter/search", query_string={"q": query})
        assert response.status_code == 200, query
        assert _numbers(response.get_data(as_text=True)) == set(), query
    assert row_counts(catalogue_db) == before and table_names(catalogue_db) == tables


def test_the_api_filters_take_sql_as_values(
    api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    ours, theirs = _cases(catalogue_db)
    before, tables = row_counts(catalogue_db), table_names(catalogue_db)
    everything = {case["number"] for case in api.get("/cases").json["items"]}
    assert everything == ours | theirs
    harmless = api.get("/cases", query_string={"service": "five-wd"}).json["items"]
    assert {case["number"] for case in harmless} == ours
    for payload in PAYLOADS:
        for name in ("status", "service", "department", "due_before", "due_after", "overdue",
                     "limit", "cursor"):  # fmt: skip
            response = api.get("/cases", query_string={name: payload})
            assert response.status_code in (200, 400), (name, payload, response.json)
            if response.status_code == 200:
                assert response.json["items"] == [], (name, payload)
        for path in (f"/cases/{quote(payload, safe='')}", f"/services/{quote(payload, safe='')}"):
            assert api.get(path).status_code in (400, 404), (path, payload)
    assert row_counts(catalogue_db) == before and table_names(catalogue_db) == tables


def test_open311_filters_take_sql_as_values(app: Flask, catalogue_db: Database) -> None:
    ours, theirs = _cases(catalogue_db)
    app.config["OPEN311_READ_LIMIT"] = "10000 per minute"  # the probe, not the limit, is tested
    client = app.test_client()
    before, tables = row_counts(catalogue_db), table_names(catalogue_db)
    url = "/open311/v2/requests.json"
    harmless = client.get(url, query_string={"service_code": "five-wd"})
    assert {r["service_request_id"] for r in harmless.json} == ours
    for payload in PAYLOADS:
        for name in ("service_code", "service_request_id", "status", "start_date", "end_date"):
            response = client.get(url, query_string={name: payload})
            assert response.status_code in (200, 400), (name, payload, response.json)
            if response.status_code == 200:
                assert response.json == [], (name, payload)
        for path in (f"/open311/v2/requests/{quote(payload, safe='')}.json",
                     f"/open311/v2/services/{quote(payload, safe='')}.json"):  # fmt: skip
            assert client.get(path).status_code in (400, 404), (path, payload)
    assert row_counts(catalogue_db) == before and table_names(catalogue_db) == tables
    assert len(ours | theirs) == 5
