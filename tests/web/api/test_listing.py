"""``GET /cases``: filters, and cursor pages that cover every case exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.factories import create_case
from tests.web.api.conftest import ApiClient, error_of
from tracker.cases.closing import complete
from tracker.cases.store import get_case
from tracker.db import Database

# Cases below are filed on 2026-04-13 (five-wd: due 04-20) and 04-20 (due 04-27); "now" is
# 2026-04-22 10:00 in Taipei, so the first ones are overdue while open.
NOW = datetime(2026, 4, 22, 2, 0, tzinfo=UTC)
DAY1 = datetime(2026, 4, 13, 2, 0, tzinfo=UTC)
DAY8 = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)


def _file(database: Database) -> dict[str, str]:
    """Seven cases; the names say what each one is."""
    with database.transaction() as s:
        numbers = {
            "old-open": create_case(s, "five-wd", now=DAY1).number,
            "old-done": create_case(s, "five-wd", now=DAY1).number,
            "civil-old": create_case(s, "fourteen-d", now=DAY1).number,
            "yanchao": create_case(s, "one-month", now=DAY1).number,
            "new-open": create_case(s, "five-wd", now=DAY8).number,
            "new-restart": create_case(s, "five-wd-restart", now=DAY8).number,
            "hours": create_case(s, "four-hours", now=DAY8).number,
        }
    with database.transaction() as s:
        complete(s, get_case(s, numbers["old-done"]).id, actor="clerk", now=DAY8)
    return numbers


def _numbers(api: ApiClient, query: str) -> list[str]:
    response = api.get(f"/cases?{query}")
    assert response.status_code == 200, response.json
    assert response.json["next_cursor"] is None
    return [case["number"] for case in response.json["items"]]


@time_machine.travel(NOW, tick=False)
def test_filters(api: ApiClient, catalogue_db: Database) -> None:
    n = _file(catalogue_db)
    assert _numbers(api, "") == list(n.values())  # filing order
    assert _numbers(api, "status=completed") == [n["old-done"]]
    assert _numbers(api, "service=five-wd") == [n["old-open"], n["old-done"], n["new-open"]]
    assert _numbers(api, "department=sanmin/civil") == [n["civil-old"], n["hours"]]
    assert _numbers(api, "department=yanchao/social") == [n["yanchao"]]
    assert _numbers(api, "service=no-such-service") == []
    assert _numbers(api, "overdue=true") == [n["old-open"], n["hours"]]
    assert n["old-open"] not in _numbers(api, "overdue=false")
    assert len(_numbers(api, "overdue=false")) == 5
    # five-wd on 04-13 is due 04-20; on 04-20, due 04-27; four-hours on 04-20 is due that day.
    assert _numbers(api, "due_before=2026-04-20&service=five-wd") == [n["old-open"], n["old-done"]]
    assert _numbers(api, "due_before=2026-04-19&service=five-wd") == []
    assert _numbers(api, "due_after=2026-04-21&service=five-wd") == [n["new-open"]]
    assert _numbers(api, "due_after=2026-04-20&due_before=2026-04-20") == [
        n["old-open"], n["old-done"], n["hours"]
    ]  # fmt: skip
    assert _numbers(api, "status=in_progress&overdue=true") == []


@time_machine.travel(NOW, tick=False)
def test_pages_cover_every_case_once_even_while_cases_are_filed(
    api: ApiClient, catalogue_db: Database
) -> None:
    _file(catalogue_db)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/cases?{query}")
        assert page.status_code == 200
        assert len(page.json["items"]) <= 2
        seen += [case["number"] for case in page.json["items"]]
        pages += 1
        if pages == 2:  # a case filed mid-walk is found on a later page
            api.file()
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 8
    assert seen == sorted(seen)  # filing order: the day, then its running number


def test_bad_query_parameters_are_400(api: ApiClient) -> None:
    for query, field in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("status=lost", "status"),
        ("due_before=2026-13-01", "due_before"),
        ("due_after=1999-12-31", "due_after"),
        ("overdue=perhaps", "overdue"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=eyJ2IjoxLCJhZnRlciI6LTF9", "cursor"),  # {"v":1,"after":-1}
        ("service=" + "x" * 41, "service"),
    ]:
        response = api.get(f"/cases?{query}")
        assert response.status_code == 400, query
        error = error_of(response)
        assert error["code"] == "invalid_query"
        assert field in error["fields"], query
