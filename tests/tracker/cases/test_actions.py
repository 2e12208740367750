"""The case lifecycle: every action, its event, and refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import NOW
from tests.factories import create_case
from tracker.cases import actions, closing
from tracker.db import Database
from tracker.errors import Conflict, IllegalTransition, InvalidInput
from tracker.lifecycle import CaseStatus
from tracker.models import Case, CaseEvent

TPE = timedelta(hours=8)


def at(day: str, hour: int = 10) -> datetime:
    """``day`` at ``hour`` o'clock Taipei time, as an aware UTC datetime."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC) - TPE


def _file(db: Database, service: str = "five-wd", when: datetime = NOW) -> int:
    with db.transaction() as session:
        return create_case(session, service, now=when).id


def _events(db: Database, case_id: int) -> list[tuple[str, str | None, str | None, bool]]:
    with db.transaction() as session:
        rows = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return [(e.kind, e.from_status, e.to_status, e.public) for e in rows]


def _case(db: Database, case_id: int) -> Case:
    with db.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def test_supplement_pauses_and_resumes_the_clock(catalogue_db: Database) -> None:
    # DESIGN §4.4: received Mon 04-13, 5wd, request 04-14, documents 04-20 → due 04-24.
    case_id = _file(catalogue_db, when=at("2026-04-13"))
    with catalogue_db.transaction() as s:
        actions.start(s, case_id, actor="clerk", now=at("2026-04-13", 11))
        case = actions.request_supplement(
            s, case_id, ["戶口名簿影本", "存摺封面影本"], actor="clerk", now=at("2026-04-14")
        )
        assert case.status is CaseStatus.AWAITING_SUPPLEMENT
        assert case.due_date is None and case.due_at is None  # the clock is stopped
        assert case.pauses[-1].supplement_due == date(2026, 4, 24)  # 10d from 04-14
    with catalogue_db.transaction() as s:
        case = actions.receive_supplement(s, case_id, actor="clerk", now=at("2026-04-20"))
        assert case.status is CaseStatus.IN_PROGRESS
        assert case.due_date == date(2026, 4, 24)
    assert [e[0] for e in _events(catalogue_db, case_id)] == [
        "filed",
        "started",
        "supplement_requested",
        "supplement_received",
    ]


def test_restart_policy_starts_the_limit_again(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, "five-wd-restart", when=at("2026-04-13"))
    with catalogue_db.transaction() as s:
        actions.request_supplement(s, case_id, ["申請書"], actor="c", now=at("2026-04-14"))
    with catalogue_db.transaction() as s:
        case = actions.receive_supplement(s, case_id, actor="c", now=at("2026-04-20"))
        assert case.due_date == date(2026, 4, 27)


def test_a_supplement_request_needs_items(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        actions.request_supplement(s, case_id, ["  ", ""], actor="c", now=NOW)
    assert _case(catalogue_db, case_id).status is CaseStatus.RECEIVED


def test_extension_once_before_overdue_at_most_the_limit(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, when=at("2026-04-13"))  # due 04-20
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        actions.extend(s, case_id, "6wd", "需會勘", actor="c", now=at("2026-04-15"))
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        actions.extend(s, case_id, "5d", "需會勘", actor="c", now=at("2026-04-15"))
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        actions.extend(s, case_id, "5wd", "  ", actor="c", now=at("2026-04-15"))
    with catalogue_db.transaction() as s:
        case = actions.extend(s, case_id, "5wd", "需現場會勘", actor="c", now=at("2026-04-15"))
        assert case.due_date == date(2026, 4, 27)
        assert case.extension == "5wd" and case.extension_reason == "需現場會勘"
    with (
        pytest.raises(IllegalTransition, match="already been extended"),
        catalogue_db.transaction() as s,
    ):
        actions.extend(s, case_id, "1wd", "again", actor="c", now=at("2026-04-16"))


def test_every_bad_field_of_an_action_is_refused_at_once(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, when=at("2026-04-13"))
    with pytest.raises(InvalidInput) as extension, catalogue_db.transaction() as s:
        actions.extend(s, case_id, "6wd", " ", actor="c", now=at("2026-04-15"))
    assert set(extension.value.fields) == {"extension", "reason"}
    with pytest.raises(InvalidInput) as transfer, catalogue_db.transaction() as s:
        actions.transfer(s, case_id, "sanmin/zoo", "", actor="c", now=at("2026-04-15"))
    assert set(transfer.value.fields) == {"department", "reason"}
    with pytest.raises(InvalidInput) as overdue, catalogue_db.transaction() as s:
        actions.set_overdue_info(s, case_id, "", None, actor="c", now=at("2026-04-15"))
    assert overdue.value.fields == {"reason": "is required", "expected_completion": "is required"}
    with pytest.raises(InvalidInput) as supplement, catalogue_db.transaction() as s:
        actions.request_supplement(
            s, case_id, [], deadline=date(2026, 4, 1), actor="c", now=at("2026-04-15")
        )
    assert set(supplement.value.fields) == {"items", "deadline"}
    with pytest.raises(InvalidInput) as out, catalogue_db.transaction() as s:
        closing.transfer_out(s, case_id, "", "", actor="c", now=at("2026-04-15"))
    assert set(out.value.fields) == {"agency", "reason"}
    assert _events(catalogue_db, case_id) == _events(catalogue_db, case_id)[:1]  # only filed


def test_no_extension_once_overdue(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, when=at("2026-04-13"))  # overdue from 04-21 00:00
    with pytest.raises(IllegalTransition, match="overdue"), catalogue_db.transaction() as s:
        actions.extend(s, case_id, "2wd", "late", actor="c", now=at("2026-04-21", 0))
    assert _case(catalogue_db, case_id).extension is None


def test_complete_reject_withdraw_close_the_case(catalogue_db: Database) -> None:
    ids = [_file(catalogue_db) for _ in range(3)]
    with catalogue_db.transaction() as s:
        closing.complete(s, ids[0], actor="c", now=NOW, note="核定通過")
        closing.reject(s, ids[1], "資格不符", actor="c", now=NOW)
        closing.withdraw(s, ids[2], actor="c", now=NOW)
    statuses = [_case(catalogue_db, i).status for i in ids]
    assert statuses == [CaseStatus.COMPLETED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN]
    assert all(_case(catalogue_db, i).closed_at == NOW for i in ids)
    assert _events(catalogue_db, ids[1])[-1] == ("rejected", "received", "rejected", True)


def test_a_rejection_needs_a_reason(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        closing.reject(s, case_id, "", actor="c", now=NOW)
    assert _case(catalogue_db, case_id).status is CaseStatus.RECEIVED


@pytest.mark.parametrize(
    "act",
    [
        lambda s, i: actions.start(s, i, actor="c", now=NOW),
        lambda s, i: closing.complete(s, i, actor="c", now=NOW),
        lambda s, i: closing.reject(s, i, "x", actor="c", now=NOW),
        lambda s, i: actions.request_supplement(s, i, ["x"], actor="c", now=NOW),
        lambda s, i: actions.receive_supplement(s, i, actor="c", now=NOW),
        lambda s, i: actions.extend(s, i, "1wd", "x", actor="c", now=NOW),
        lambda s, i: actions.transfer(s, i, "sanmin/civil", "x", actor="c", now=NOW),
    ],
)
def test_a_closed_case_refuses_every_change(catalogue_db: Database, act) -> None:  # type: ignore[no-untyped-def]
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        closing.complete(s, case_id, actor="c", now=NOW)
    before = _events(catalogue_db, case_id)
    with (
        pytest.raises(IllegalTransition, match="already completed"),
        catalogue_db.transaction() as s,
    ):
        act(s, case_id)
    assert _events(catalogue_db, case_id) == before
    assert _case(catalogue_db, case_id).status is CaseStatus.COMPLETED


def test_documents_cannot_arrive_without_a_request(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with (
        pytest.raises(IllegalTransition, match="not been started"),
        catalogue_db.transaction() as s,
    ):
        actions.receive_supplement(s, case_id, actor="c", now=NOW)


def test_transfer_to_another_department_keeps_the_case_open(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        case = actions.transfer(s, case_id, "sanmin/civil", "屬民政課業務", actor="c", now=NOW)
        assert case.department.path == "sanmin/civil"
        assert case.status is CaseStatus.RECEIVED
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        actions.transfer(s, case_id, "sanmin/nowhere", "x", actor="c", now=NOW)


def test_transfer_out_ends_our_part(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, "petition")
    with catalogue_db.transaction() as s:
        case = closing.transfer_out(
            s, case_id, "高雄市政府環境保護局", "權責機關", actor="c", now=NOW
        )
        assert case.status is CaseStatus.TRANSFERRED and not case.is_open


def test_overdue_info_and_notes(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        actions.set_overdue_info(s, case_id, "待會勘", date(2026, 4, 1), actor="c", now=NOW)
    with catalogue_db.transaction() as s:
        actions.set_overdue_info(s, case_id, "待會勘", date(2026, 5, 1), actor="c", now=NOW)
        actions.add_note(s, case_id, "已電話聯繫申請人", public=False, actor="c", now=NOW)
    case = _case(catalogue_db, case_id)
    assert (case.overdue_reason, case.expected_completion) == ("待會勘", date(2026, 5, 1))
    assert _events(catalogue_db, case_id)[-1] == ("note", "received", None, False)


def test_steps_advance_within_the_sop(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with pytest.raises(InvalidInput), catalogue_db.transaction() as s:
        actions.advance_step(s, case_id, 3, actor="c", now=NOW)
    with catalogue_db.transaction() as s:
        case = actions.advance_step(s, case_id, 1, actor="c", now=NOW)
        assert (case.current_step, case.status) == (1, CaseStatus.IN_PROGRESS)


def test_a_stale_screen_is_refused(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    seen = _case(catalogue_db, case_id).version
    with catalogue_db.transaction() as s:
        actions.add_note(
            s, case_id, "first", public=False, actor="a", now=NOW, expected_version=seen
        )
    with pytest.raises(Conflict), catalogue_db.transaction() as s:
        closing.complete(s, case_id, actor="b", now=NOW, expected_version=seen)
    assert _case(catalogue_db, case_id).status is CaseStatus.RECEIVED


def test_events_are_append_only(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        event = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id))
        assert event is not None
        event.note = "rewritten"
        with pytest.raises(RuntimeError, match="append-only"):
            s.flush()
        s.rollback()
    with catalogue_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent)) == 1
