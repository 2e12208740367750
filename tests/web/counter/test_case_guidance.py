"""The case page guides: every error at once, named, in words; a question before what cannot be
undone; statuses in words; a timeline without repeats; why an SMS waits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tests.web.counter.conftest import Console, file_social_case, load_case
from tracker.cases import actions as case_actions
from tracker.cases import closing
from tracker.db import Database
from tracker.deadlines.timezones import TAIPEI
from tracker.lifecycle import CaseStatus
from tracker.models import CaseEvent, Notice


def _submit(console: Console, number: str, action: str, version: int, **fields: object):  # type: ignore[no-untyped-def]
    return console.post(
        f"/counter/cases/{number}/{action}", {"version": version, **fields}, prefix=action
    )


def _summary(page: str) -> list[tuple[str, str]]:
    """The error summary's (link target, text) pairs."""
    block = page[page.index('class="error-summary"') :]
    block = block[: block.index("</div>")]
    return re.findall(r'<li><a href="#([^"]+)">([^<]*)</a></li>', block)


def test_every_error_comes_at_once_each_naming_its_field(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    response = _submit(clerk, case.number, "extend", case.version, amount="", reason=" ")
    assert response.status_code == 422
    # The form's problem (no amount) and the domain's (no reason), in one answer.
    assert _summary(response.text) == [
        ("extend-amount", "Enter “Extend by”."),
        ("extend-reason", "Enter “Reason”."),
    ]
    assert load_case(catalogue_db, case.number).extension is None


def test_the_refused_panel_opens_under_the_summary_at_the_top(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    page = _submit(clerk, case.number, "transfer", case.version, reason="").text
    summary = page.index('class="error-summary"')
    panel = page.index('id="action-transfer" open')
    assert summary < panel < page.index('class="summary-list case-facts"')
    assert page.count('id="action-transfer"') == 1  # not a second time in the list below


def test_an_extension_too_long_is_refused_in_words_not_units(
    clerk: Console, catalogue_db: Database
) -> None:
    clerk.client.set_cookie("lang", "zh_TW")
    case = file_social_case(catalogue_db)
    page = _submit(clerk, case.number, "extend", case.version, amount=9, reason="太忙").text
    assert "5 個工作天" in page
    assert "5wd" not in page


def test_completing_asks_first_and_changes_nothing_until_confirmed(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    asked = _submit(clerk, case.number, "complete", case.version, note="已核發")
    assert asked.status_code == 200
    assert f"Complete case {case.number}?" in asked.text
    assert "cannot be reopened" in asked.text
    # What was typed travels with the answer, unchanged.
    assert 'name="complete-note" value="已核發"' in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert load_case(catalogue_db, case.number).status == CaseStatus.RECEIVED
    done = clerk.post(
        f"/counter/cases/{case.number}/complete",
        {"version": case.version, "note": "已核發"},
        prefix="complete",
        plain={"confirmed": "yes"},
    )
    assert done.status_code == 303
    assert load_case(catalogue_db, case.number).status == CaseStatus.COMPLETED


def test_a_refused_rejection_is_not_asked_about(clerk: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    response = _submit(clerk, case.number, "reject", case.version, reason="")
    assert response.status_code == 422
    assert "Reject case" not in response.text
    assert _summary(response.text) == [("reject-reason", "Enter “Reason for rejection”.")]


def test_withdrawing_asks_first(clerk: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    asked = _submit(clerk, case.number, "withdraw", case.version, note="")
    assert f"Record that the applicant withdrew case {case.number}?" in asked.text
    assert load_case(catalogue_db, case.number).status == CaseStatus.RECEIVED


def test_the_timeline_does_not_repeat_a_state(clerk: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    with catalogue_db.transaction() as session:
        case_actions.start(session, case.id, actor="clerk", now=datetime.now(UTC))
        closing.complete(session, case.id, note="已核發", actor="clerk", now=datetime.now(UTC))
    clerk.client.set_cookie("lang", "zh_TW")
    page = clerk.get(f"/counter/cases/{case.number}").text
    timeline = page[page.index('class="timeline"') :]
    assert "已辦結 → 已辦結" not in timeline
    assert "已辦結" in timeline
    assert "→ 辦理中" in timeline  # a change of state still says where it went


def test_provider_statuses_are_in_the_readers_language(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    with catalogue_db.transaction() as session:
        session.execute(
            update(Notice)
            .where(Notice.case_id == case.id)
            .values(status="delivered", provider_status="delivered")
        )
    clerk.client.set_cookie("lang", "zh_TW")
    table = clerk.get(f"/counter/cases/{case.number}").text
    table = table[table.index('class="table notices"') :]
    assert ">delivered<" not in table
    assert "已送達" in table


def test_an_sms_held_for_quiet_hours_says_until_when(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    # Dispatch held it: back to pending until quiet hours end, 09:00 Taipei tomorrow.
    tomorrow = (datetime.now(TAIPEI) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    with catalogue_db.transaction() as session:
        session.execute(
            update(Notice)
            .where(Notice.case_id == case.id, Notice.channel == "sms")
            .values(status="pending", not_before=tomorrow)
        )
        held = session.scalar(select(Notice.id).where(Notice.case_id == case.id))
    assert held is not None
    page = clerk.get(f"/counter/cases/{case.number}").text
    assert "Held for quiet hours until 09:00" in page


def test_a_changed_state_is_recorded_once(catalogue_db: Database) -> None:
    # The page's rule reads what the events say: a completion goes from one state to another.
    case = file_social_case(catalogue_db)
    with catalogue_db.transaction() as session:
        closing.complete(session, case.id, note="", actor="clerk", now=datetime.now(UTC))
        completed = session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "completed")
        )
        assert completed is not None
        assert completed.to_status == CaseStatus.COMPLETED
        assert completed.from_status != completed.to_status
