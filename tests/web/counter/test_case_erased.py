"""A case whose personal data the retention purge erased: the console says so, and shows none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.web.counter.conftest import Console, file_social_case
from tracker.cases import closing
from tracker.cases.retention import purge
from tracker.db import Database


def test_the_case_page_says_the_personal_data_was_erased(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db, email="wang@example.org")
    with catalogue_db.transaction() as session:
        closing.complete(session, case.id, actor="clerk:test", now=datetime.now(UTC))
    later = datetime.now(UTC) + timedelta(days=6 * 366)
    assert purge(catalogue_db, later).total == 1
    page = clerk.get(f"/counter/cases/{case.number}").text
    assert "Personal data erased on" in page
    assert case.number in page
    for personal in ("王小明", "0912 345 678", "wang@example.org"):
        assert personal not in page
