"""The console's Art. 173 action: offered for petitions only, with a ground and a reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tests.factories import create_case
from tests.web.counter.conftest import Console, load_case
from tracker.db import Database
from tracker.lifecycle import CaseStatus
from tracker.models import Case


def _file(database: Database, service: str) -> Case:
    with database.transaction() as session:
        return create_case(session, service, now=datetime.now(UTC))


def _offered(page: str) -> list[str]:
    return re.findall(r'<details class="action[a-z -]*" id="action-([a-z_]+)"', page)


def _decline(console: Console, case: Case, **fields: Any) -> Any:
    """Close as not handled, confirming it when asked (closing cannot be undone)."""
    return console.post(
        f"/counter/cases/{case.number}/decline",
        {"version": case.version, **fields},
        prefix="decline",
        plain={"confirmed": "yes"},
    )


def test_a_petition_can_be_closed_as_not_handled(console: Console, catalogue_db: Database) -> None:
    assert console.login("civil").status_code == 303
    petition = _file(catalogue_db, "petition")
    page = console.get(f"/counter/cases/{petition.number}").text
    assert "decline" in _offered(page)
    assert "Item 2: the same matter was properly handled" in page

    done = _decline(console, petition, ground="repeated", reason="Answered on 2026-03-20")
    assert done.status_code == 303, done.text[-2000:]
    closed = load_case(catalogue_db, petition.number)
    assert closed.status == CaseStatus.NOT_HANDLED
    page = console.get(f"/counter/cases/{petition.number}").text
    assert "Not handled (Art. 173)" in page and "Answered on 2026-03-20" in page
    assert _offered(page) == ["note"]


def test_a_reason_is_required(console: Console, catalogue_db: Database) -> None:
    assert console.login("civil").status_code == 303
    petition = _file(catalogue_db, "petition")
    refused = _decline(console, petition, ground="no_identity", reason="")
    assert refused.status_code == 422
    assert "Enter “Reason”." in refused.text
    assert load_case(catalogue_db, petition.number).status == CaseStatus.RECEIVED


def test_an_application_is_not_offered_it_and_is_refused(
    console: Console, catalogue_db: Database
) -> None:
    assert console.login("civil").status_code == 303
    application = _file(catalogue_db, "fourteen-d")
    page = console.get(f"/counter/cases/{application.number}").text
    assert "decline" not in _offered(page) and "reject" in _offered(page)

    refused = _decline(console, application, ground="repeated", reason="Same matter")
    assert refused.status_code == 409
    assert "Only petitions may be closed as not handled" in refused.text
    assert load_case(catalogue_db, application.number).status == CaseStatus.RECEIVED


def test_the_action_in_chinese(console: Console, catalogue_db: Database) -> None:
    console.client.set_cookie("lang", "zh_TW")
    assert console.login("civil").status_code == 303
    petition = _file(catalogue_db, "petition")
    page = console.get(f"/counter/cases/{petition.number}").text
    assert "陳情不予處理（行政程序法第173條）" in page and "第1款：無具體內容" in page
