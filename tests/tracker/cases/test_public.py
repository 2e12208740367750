"""The public case query: no personal column can reach Open311 or open data."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import NOW
from tests.factories import create_case
from tracker.cases.public import _PUBLIC_CASES, find_public_cases, public_cases_by_number
from tracker.db import Database

PERSONAL = {"applicant_name", "applicant_phone", "applicant_email", "lookup_code"}


def test_the_query_selects_no_personal_column() -> None:
    selected = {column.name for column in _PUBLIC_CASES.selected_columns}
    assert not PERSONAL & selected
    assert not {"note", "data"} & selected  # nor any note or event text


def test_window_status_and_numbers(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        older = create_case(s, received_at=NOW - timedelta(days=2)).number
        newer = create_case(s, "fourteen-d").number
    with catalogue_db.reading() as connection:
        window = find_public_cases(
            connection, received_from=NOW - timedelta(days=3), received_until=NOW
        )
        assert [c.number for c in window] == [newer, older]
        assert window[0].service_code == "fourteen-d" and window[0].is_open
        assert (
            find_public_cases(
                connection, received_from=NOW - timedelta(days=1), received_until=NOW, open_=True
            )[0].number
            == newer
        )
        closed = find_public_cases(
            connection, received_from=NOW - timedelta(days=3), received_until=NOW, open_=False
        )
        assert closed == []
        assert [c.number for c in public_cases_by_number(connection, [older, "x"])] == [older]
