"""Binding a case to LINE: a one-time code, the applicant's confirmation, and every way out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import NOW
from tests.factories import create_case
from tests.support.line_standin import new_user_id
from tracker.cases.line_binding import (
    BOUND,
    ENDED,
    PENDING,
    end_bindings,
    erase_line_contact,
    format_code,
    line_offer,
    normalise_code,
    on_text,
)
from tracker.db import Database
from tracker.models import AuditEntry, Case, LineBinding, Notice
from tracker.notices.outbox import Addressees, queue_case_notice

LATER = NOW + timedelta(minutes=5)


def _offered(db: Database) -> tuple[int, str]:
    """A filed case and the code its receipt shows."""
    with db.transaction() as s:
        case = create_case(s, now=NOW)
        offer = line_offer(s, case, NOW)
        assert offer is not None
        assert offer.code is not None
        return case.id, offer.code


def _bound(db: Database, user: str) -> int:
    case_id, code = _offered(db)
    with db.transaction() as s:
        on_text(s, user, format_code(code), event_id="e1", now=LATER)
        on_text(s, user, "確認", event_id="e2", now=LATER)
    return case_id


def _answers(db: Database, user: str) -> list[tuple[str, int | None]]:
    with db.transaction() as s:
        rows = s.execute(
            select(Notice.kind, Notice.case_id)
            .where(Notice.channel == "line", Notice.recipient == user)
            .order_by(Notice.id)
        )
        return [(kind, case_id) for kind, case_id in rows]


def test_a_case_is_offered_one_code_however_often_its_page_is_shown(
    catalogue_db: Database,
) -> None:
    case_id, code = _offered(catalogue_db)
    with catalogue_db.transaction() as s:
        again = line_offer(s, s.get_one(Case, case_id), LATER)
    assert again is not None
    assert again.code == code
    assert len(code) == 8


def test_codes_are_read_as_people_type_them() -> None:
    assert normalise_code(" k7pq-3xw9 ") == "K7PQ3XW9"
    assert normalise_code("K7PQ 3XW9") == "K7PQ3XW9"
    assert normalise_code("K7PQ3XW0") is None  # 0 is not in the alphabet (O looks like it)
    assert normalise_code("確認") is None


def test_sending_the_code_asks_to_confirm_with_the_case_masked(catalogue_db: Database) -> None:
    user = new_user_id()
    case_id, code = _offered(catalogue_db)
    with catalogue_db.transaction() as s:
        assert on_text(s, user, code.lower(), event_id="e1", now=LATER) == "code"
    with catalogue_db.transaction() as s:
        binding = s.scalars(select(LineBinding)).one()
        assert (binding.state, binding.line_user_id) == (PENDING, user)
        assert s.get_one(Case, case_id).applicant_line_id is None  # not before consent
        answer = s.scalars(select(Notice).where(Notice.kind == "line_confirm")).one()
        assert answer.payload["masked_name"] == "王○明"
        assert "王小明" not in str(answer.payload)


def test_confirming_binds_the_case_and_its_notices_go_by_line(catalogue_db: Database) -> None:
    user = new_user_id()
    case_id = _bound(catalogue_db, user)
    with catalogue_db.transaction() as s:
        case = s.get_one(Case, case_id)
        binding = s.scalars(select(LineBinding)).one()
        assert case.applicant_line_id == user
        assert (binding.state, binding.code) == (BOUND, None)  # the code is used up
        assert Addressees.of(case).channels("overdue") == [("line", user)]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "line_bound")).one()
        assert audit.target == case.number
        assert user not in str(audit.data)
    assert _answers(catalogue_db, user) == [("line_confirm", case_id), ("line_bound", case_id)]


def test_line_replaces_sms_but_email_still_goes(catalogue_db: Database) -> None:
    user = new_user_id()
    with catalogue_db.transaction() as s:
        case = create_case(s, now=NOW, email="wang@example.org", notify_by="both")
        case.applicant_line_id = user
        channels = [channel for channel, _ in Addressees.of(case).channels("overdue")]
    assert channels == ["line", "email"]


def test_stop_ends_the_binding_and_sms_comes_back(catalogue_db: Database) -> None:
    user = new_user_id()
    case_id = _bound(catalogue_db, user)
    with catalogue_db.transaction() as s:
        assert on_text(s, user, "取消", event_id="e3", now=LATER) == "stop"
    with catalogue_db.transaction() as s:
        case = s.get_one(Case, case_id)
        assert case.applicant_line_id is None
        assert s.scalars(select(LineBinding)).one().state == ENDED
        assert Addressees.of(case).channels("overdue") == [("sms", "+886912345678")]
        ended = s.scalars(select(AuditEntry).where(AuditEntry.action == "line_ended")).one()
        assert ended.data == {"reason": "stopped"}
        stopped = s.scalars(select(Notice).where(Notice.kind == "line_unbound")).one()
        assert stopped.payload["case_numbers"] == [case.number]


def test_unfollowing_ends_every_binding_of_that_user(catalogue_db: Database) -> None:
    user = new_user_id()
    first, second = _bound(catalogue_db, user), _bound(catalogue_db, user)
    with catalogue_db.transaction() as s:
        ended = end_bindings(s, user, reason="unfollowed", now=LATER)
        assert sorted(case.id for case in ended) == [first, second]
    with catalogue_db.transaction() as s:
        assert s.scalars(select(Case.applicant_line_id)).all() == [None, None]


def test_a_new_code_is_offered_after_the_binding_ended(catalogue_db: Database) -> None:
    user = new_user_id()
    case_id = _bound(catalogue_db, user)
    with catalogue_db.transaction() as s:
        end_bindings(s, user, reason="stopped", now=LATER)
    with catalogue_db.transaction() as s:
        offer = line_offer(s, s.get_one(Case, case_id), LATER)
        assert offer is not None
        assert offer.code is not None


def test_a_redelivered_event_is_answered_once(catalogue_db: Database) -> None:
    user = new_user_id()
    _case_id, code = _offered(catalogue_db)
    for _ in range(2):
        with catalogue_db.transaction() as s:
            on_text(s, user, code, event_id="same-event", now=LATER)
    assert [kind for kind, _ in _answers(catalogue_db, user)] == ["line_confirm"]


def test_an_unknown_code_or_word_gets_help_and_binds_nothing(catalogue_db: Database) -> None:
    user = new_user_id()
    _offered(catalogue_db)
    with catalogue_db.transaction() as s:
        assert on_text(s, user, "ZZZZ-ZZZZ", event_id="e1", now=LATER) == "unknown"
        assert on_text(s, user, "確認", event_id="e2", now=LATER) == "nothing-pending"
    assert _answers(catalogue_db, user) == [("line_help", None), ("line_help", None)]
    with catalogue_db.transaction() as s:
        assert s.scalars(select(LineBinding.state)).all() == ["offered"]


def test_a_closed_case_is_offered_nothing(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        case = create_case(s, now=NOW)
        case.status = "completed"  # type: ignore[assignment]
        s.flush()
        assert line_offer(s, case, NOW) is None


def test_the_line_user_is_forgotten_with_the_personal_data(
    catalogue_db: Database,
) -> None:
    user = new_user_id()
    case_id = _bound(catalogue_db, user)
    with catalogue_db.transaction() as s:
        queue_case_notice(s, s.get_one(Case, case_id), "extension", trigger_at=LATER, now=LATER,
                          extra={"reason": "r", "new_due_date": "2026-05-01"})  # fmt: skip
        erase_line_contact(s, [case_id], LATER)
    with catalogue_db.transaction() as s:
        assert s.get_one(Case, case_id).applicant_line_id is None
        binding = s.scalars(select(LineBinding)).one()
        assert (binding.state, binding.line_user_id) == (ENDED, None)
        line_notices = s.scalars(select(Notice.recipient).where(Notice.channel == "line"))
        assert set(line_notices) == {None}
