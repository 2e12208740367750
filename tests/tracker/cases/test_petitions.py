"""Petitions (陳情): the 30-day reply limit, extension, transfer, and Art. 173 not handled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import NOW
from tests.factories import create_case
from tracker.cases import actions, closing
from tracker.db import Database
from tracker.errors import IllegalTransition, InvalidInput
from tracker.lifecycle import OPEN_STATUSES, CaseStatus, allowed_actions
from tracker.models import Case, CaseEvent, Notice

LATER = NOW + timedelta(days=1)


def _file(db: Database, service: str = "petition") -> int:
    with db.transaction() as session:
        return create_case(session, service, now=NOW).id


def _case(db: Database, case_id: int) -> Case:
    with db.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def _notices(db: Database, case_id: int, kind: str) -> list[Notice]:
    with db.transaction() as session:
        return list(
            session.scalars(select(Notice).where(Notice.case_id == case_id, Notice.kind == kind))
        )


def test_a_petition_is_due_30_calendar_days_after_receipt(catalogue_db: Database) -> None:
    # Received Mon 2026-04-13; day 1 is 04-14, day 30 is Wed 05-13, a working day.
    case = _case(catalogue_db, _file(catalogue_db))
    assert case.service.kind == "petition"
    assert case.due_date == date(2026, 5, 13)
    assert case.status is CaseStatus.RECEIVED


def test_a_petition_is_extended_once_with_a_reasoned_notice(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        case = actions.extend(s, case_id, "30d", "需函詢其他機關", actor="clerk", now=LATER)
        # 60 calendar days after 04-13: Fri 06-12, a working day.
        assert case.due_date == date(2026, 6, 12)
    [notice] = _notices(catalogue_db, case_id, "extension")
    assert notice.payload["reason"] == "需函詢其他機關"
    assert notice.payload["new_due_date"] == "2026-06-12"
    with pytest.raises(IllegalTransition, match="once"), catalogue_db.transaction() as s:
        actions.extend(s, case_id, "5d", "again", actor="clerk", now=LATER)


def test_a_petition_is_transferred_within_and_out_with_notices(catalogue_db: Database) -> None:
    inside = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        case = actions.transfer(s, inside, "sanmin/social", "社會課主管", actor="c", now=LATER)
        assert case.is_open and case.department.path == "sanmin/social"
    assert _notices(catalogue_db, inside, "transferred")[0].payload["reason"] == "社會課主管"

    out = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        case = closing.transfer_out(s, out, "高雄市政府工務局", "道路養護", actor="c", now=LATER)
        assert case.status is CaseStatus.TRANSFERRED and case.closed_at == LATER
    [notice] = _notices(catalogue_db, out, "transferred")
    assert notice.payload["transferred_to"] == "高雄市政府工務局"


def test_a_petition_is_closed_as_not_handled_with_ground_reason_and_notice(
    catalogue_db: Database,
) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        actions.start(s, case_id, actor="clerk", now=NOW)
        case = closing.decline(
            s, case_id, "repeated", "同一事由已於3月20日函復", actor="clerk", now=LATER
        )
        assert case.status is CaseStatus.NOT_HANDLED
        assert not case.is_open and case.closed_at == LATER and case.watch_at is None
    with catalogue_db.transaction() as s:
        event = s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id.desc())
        ).first()
        assert event is not None
        assert (event.kind, event.from_status, event.to_status) == (
            "not_handled",
            "in_progress",
            "not_handled",
        )
        assert event.public and event.note == "同一事由已於3月20日函復"
        assert event.data == {"ground": "repeated"}
    [notice] = _notices(catalogue_db, case_id, "not_handled")
    assert notice.payload["reason"] == "同一事由已於3月20日函復"
    assert notice.payload["ground"] == "repeated"
    # No satisfaction survey: nothing was delivered to rate.
    assert _notices(catalogue_db, case_id, "survey") == []
    with pytest.raises(IllegalTransition, match="not handled"), catalogue_db.transaction() as s:
        closing.complete(s, case_id, actor="clerk", now=LATER)


def test_not_handled_ends_an_open_supplement_pause(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        actions.request_supplement(s, case_id, ["陳情人地址"], actor="c", now=NOW)
    with catalogue_db.transaction() as s:
        case = closing.decline(s, case_id, "no_identity", "未具真實地址", actor="c", now=LATER)
        assert case.pauses[-1].resumed_at == LATER


def test_an_application_cannot_be_closed_as_not_handled(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, "five-wd")
    before = _case(catalogue_db, case_id)
    with (
        pytest.raises(IllegalTransition, match="only petitions") as refused,
        catalogue_db.transaction() as s,
    ):
        closing.decline(s, case_id, "repeated", "重複", actor="c", now=LATER)
    assert refused.value.params["kind"] == "application"
    after = _case(catalogue_db, case_id)
    assert (after.status, after.version) == (before.status, before.version)
    assert _notices(catalogue_db, case_id, "not_handled") == []


@pytest.mark.parametrize(("ground", "reason"), [("other", "理由"), ("repeated", "  ")])
def test_not_handled_needs_a_known_ground_and_a_reason(
    catalogue_db: Database, ground: str, reason: str
) -> None:
    case_id = _file(catalogue_db)
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        closing.decline(s, case_id, ground, reason, actor="c", now=LATER)
    assert _case(catalogue_db, case_id).status is CaseStatus.RECEIVED


def test_not_handled_is_a_closed_status_reached_only_from_open_ones() -> None:
    assert CaseStatus.NOT_HANDLED not in OPEN_STATUSES
    for status in CaseStatus:
        offered = "decline" in allowed_actions(status)
        assert offered == (status in OPEN_STATUSES), status


def test_a_closed_petition_refuses_not_handled(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        closing.complete(s, case_id, note="已函復", actor="c", now=LATER)
    with pytest.raises(IllegalTransition, match="completed"), catalogue_db.transaction() as s:
        closing.decline(s, case_id, "repeated", "重複", actor="c", now=datetime.now(UTC))
