"""The deadline watch: each trigger handled once, its notices written with the change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests.factories import create_case
from tracker.calendar.changes import declare_closure
from tracker.cases import actions, closing
from tracker.db import Database
from tracker.models import Case, CaseEvent, Notice
from tracker.notices.outbox import case_notice_rows
from tracker.watch.sweep import sweep_batch

TPE = timedelta(hours=8)


def at(text: str) -> datetime:
    """A Taipei wall-clock time as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - TPE


FILED = at("2026-04-13 10:00")  # Monday; 5wd → due 04-20, overdue from 04-21 00:00


def _file(db: Database, service: str = "five-wd", **fields: object) -> int:
    with db.transaction() as s:
        return create_case(s, service, now=FILED, **fields).id


def _sweep(db: Database, when: str) -> dict[str, int]:
    with db.transaction() as s:
        return sweep_batch(s, now=at(when)).handled


def _notices(db: Database, case_id: int) -> list[tuple[str, str, str]]:
    with db.transaction() as s:
        rows = s.scalars(select(Notice).where(Notice.case_id == case_id).order_by(Notice.id))
        return [(n.kind, n.channel, n.status) for n in rows]


def _case(db: Database, case_id: int) -> Case:
    with db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def test_filing_writes_the_receipt_and_starts_the_watch(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, email="wang@example.org", notify_by="both")
    assert _notices(catalogue_db, case_id) == [
        ("receipt", "sms", "pending"),
        ("receipt", "email", "pending"),
    ]
    with catalogue_db.transaction() as s:
        receipt = s.scalars(select(Notice).where(Notice.case_id == case_id)).first()
        assert receipt is not None
        assert receipt.recipient == "+886912345678"
        assert receipt.payload["case_number"] == "20260413-0001"
        assert receipt.payload["due_date"] == "2026-04-20"
        assert receipt.payload["masked_name"] == "王○明"
    # The first trigger: the due-soon warning on the working day before the due date.
    assert _case(catalogue_db, case_id).watch_at == at("2026-04-17 08:00")


def test_no_usable_channel_makes_a_letter_task(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, phone="07-311-0000", notify_by="none")
    assert _notices(catalogue_db, case_id) == [("receipt", "letter", "task")]


def test_nothing_due_nothing_done(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    assert _sweep(catalogue_db, "2026-04-16 12:00") == {}
    assert _case(catalogue_db, case_id).watched_until is None


def test_the_overdue_notice_goes_out_once_with_a_promise_by_rule(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    assert _sweep(catalogue_db, "2026-04-17 09:00") == {"due_soon": 1}
    assert _sweep(catalogue_db, "2026-04-20 23:59") == {}
    assert _sweep(catalogue_db, "2026-04-21 00:00:05") == {"overdue": 1}
    assert _sweep(catalogue_db, "2026-04-21 00:00:35") == {}  # the next tick: nothing again
    case = _case(catalogue_db, case_id)
    assert case.overdue_since == at("2026-04-21 00:00")
    # No promise was recorded: half the limit again, rounded up (3 working days after 04-20).
    assert case.expected_completion == date(2026, 4, 23)
    assert case.watch_at == at("2026-04-24 00:00")
    assert _notices(catalogue_db, case_id) == [
        ("receipt", "sms", "pending"),
        ("due_soon", "console", "pending"),
        ("overdue", "sms", "pending"),
        ("overdue_clerk", "console", "pending"),
    ]
    with catalogue_db.transaction() as s:
        overdue = s.scalar(select(Notice).where(Notice.kind == "overdue"))
        assert overdue is not None
        assert overdue.payload["reason"] == "案件處理中"  # the service's default reason
        assert overdue.payload["expected_completion"] == "2026-04-23"
        assert overdue.payload["current_step"] == "收件"
        event = s.scalar(select(CaseEvent).where(CaseEvent.kind == "overdue"))
        assert event is not None and event.public and event.data["by_rule"] is True


def test_staff_read_the_default_reason_in_chinese_the_applicant_in_theirs(
    catalogue_db: Database,
) -> None:
    case_id = _file(catalogue_db, language="en")
    assert _sweep(catalogue_db, "2026-04-17 09:00") == {"due_soon": 1}
    assert _sweep(catalogue_db, "2026-04-21 00:01") == {"overdue": 1}
    with catalogue_db.transaction() as s:
        notices = {n.kind: n for n in s.scalars(select(Notice).where(Notice.case_id == case_id))}
        overdue, clerk, soon = notices["overdue"], notices["overdue_clerk"], notices["due_soon"]
        assert overdue.language == "en"
        assert overdue.payload["reason"] == "Being processed"
        assert overdue.payload["service"] == "Five working days"
        # The staff's notices are Chinese templates: every text in them is Chinese too.
        assert clerk.language == soon.language == "zh-TW"
        assert clerk.payload["reason"] == "案件處理中"
        assert (clerk.payload["service"], clerk.payload["department"]) == ("五工作天案件", "社會課")
        assert clerk.payload["current_step"] == "收件"
        assert soon.payload["service"] == "五工作天案件"
        event = s.scalar(select(CaseEvent).where(CaseEvent.kind == "overdue"))
        assert event is not None
        # Each reader of the timeline gets the default in their language (web.core.formatting).
        assert event.note == event.data["reason"] == "案件處理中"
        assert event.data["note_texts"] == {"zh-TW": "案件處理中", "en": "Being processed"}


def test_a_staff_notice_about_an_english_case_is_chinese_throughout(
    catalogue_db: Database,
) -> None:
    with catalogue_db.transaction() as s:
        case = create_case(s, now=FILED, language="en")
        staff = case_notice_rows(case, "overdue_clerk", trigger_at=FILED, now=FILED)
        applicant = case_notice_rows(case, "receipt", trigger_at=FILED, now=FILED)
    assert [(r["language"], r["payload"]["service"]) for r in staff] == [("zh-TW", "五工作天案件")]
    assert [(r["language"], r["payload"]["service"]) for r in applicant] == [
        ("en", "Five working days")
    ]


def test_a_passed_promise_is_told_again(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    _sweep(catalogue_db, "2026-04-21 00:01")
    assert _sweep(catalogue_db, "2026-04-24 00:00:10") == {"overdue": 1}
    kinds = [k for k, channel, _ in _notices(catalogue_db, case_id) if channel == "sms"]
    assert kinds == ["receipt", "overdue", "overdue"]
    assert _case(catalogue_db, case_id).expected_completion == date(2026, 4, 28)


def test_the_clerks_reason_and_promise_are_used(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        actions.set_overdue_info(
            s, case_id, "需會同工務局現場勘查", date(2026, 4, 30), actor="c", now=FILED
        )
    assert _sweep(catalogue_db, "2026-04-21 00:01") == {"overdue": 1}
    with catalogue_db.transaction() as s:
        overdue = s.scalar(select(Notice).where(Notice.kind == "overdue"))
        assert overdue is not None
        assert overdue.payload["reason"] == "需會同工務局現場勘查"
        assert overdue.payload["expected_completion"] == "2026-04-30"
        event = s.scalar(select(CaseEvent).where(CaseEvent.kind == "overdue"))
        # The clerk's own words are one text, shown to every reader as written.
        assert event is not None and event.note == "需會同工務局現場勘查"
        assert "note_texts" not in event.data
    assert ("overdue_clerk", "console", "pending") not in _notices(catalogue_db, case_id)
    assert _case(catalogue_db, case_id).watch_at == at("2026-05-01 00:00")


def test_when_a_promise_passes_the_clerk_confirms_the_new_date_not_their_reason(
    catalogue_db: Database,
) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        actions.set_overdue_info(
            s, case_id, "需會同工務局現場勘查", date(2026, 4, 22), actor="c", now=FILED
        )
    _sweep(catalogue_db, "2026-04-21 00:01")
    assert _sweep(catalogue_db, "2026-04-23 00:00:10") == {"overdue": 1}
    with catalogue_db.transaction() as s:
        asked = s.scalars(select(Notice).where(Notice.kind == "overdue_clerk")).all()
        assert [n.channel for n in asked] == ["console"]
        payload = asked[0].payload
    assert payload["reason"] == "需會同工務局現場勘查"
    assert payload["reason_is_default"] is False and payload["date_is_default"] is True


def test_a_case_filed_late_is_caught_up(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        late = create_case(s, now=at("2026-04-22 09:00"), received_at=FILED).id
    # Already overdue: the warning that it is about to be is skipped.
    assert _sweep(catalogue_db, "2026-04-22 09:00:20") == {"overdue": 1}
    assert [k for k, _, _ in _notices(catalogue_db, late)] == [
        "receipt", "overdue", "overdue_clerk"
    ]  # fmt: skip


def test_a_case_caught_up_long_after_it_fell_due_is_promised_a_date_still_ahead(
    catalogue_db: Database,
) -> None:
    # Received Mon 2026-04-13, 5wd: due 04-20; by the rule, 3 working days later: 04-23. The
    # watch first sees it on 05-11: that date is long past, so the rule counts from that day.
    with catalogue_db.transaction() as s:
        late = create_case(s, now=at("2026-05-11 09:00"), received_at=FILED).id
    assert _sweep(catalogue_db, "2026-05-11 09:00:20") == {"overdue": 1}
    case = _case(catalogue_db, late)
    assert case.expected_completion == date(2026, 5, 14)
    # Still watched: when that promise passes, the applicant is told again.
    assert case.watch_at == at("2026-05-15 00:00")
    with catalogue_db.transaction() as s:
        told = s.scalar(select(Notice).where(Notice.kind == "overdue", Notice.case_id == late))
        assert told is not None and told.payload["expected_completion"] == "2026-05-14"


def test_closing_a_case_takes_it_off_the_watch(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db, email="wang@example.org")
    with catalogue_db.transaction() as s:
        closing.complete(s, case_id, actor="c", now=at("2026-04-15 10:00"), note="核定通過")
    case = _case(catalogue_db, case_id)
    assert case.watch_at is None
    assert _sweep(catalogue_db, "2026-05-01 00:00") == {}
    assert [k for k, _, _ in _notices(catalogue_db, case_id)] == [
        "receipt", "receipt", "ready", "ready", "survey", "survey"
    ]  # fmt: skip
    with catalogue_db.transaction() as s:
        survey = s.scalar(select(Notice).where(Notice.kind == "survey"))
        assert survey is not None and survey.not_before == at("2026-04-16 10:00")


def test_supplement_reminder_and_lapse(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        actions.request_supplement(
            s, case_id, ["戶口名簿影本"], actor="c", now=at("2026-04-14 10:00")
        )  # supplement due 04-24 (10d)
    assert _case(catalogue_db, case_id).watch_at == at("2026-04-22 09:00")
    assert _sweep(catalogue_db, "2026-04-22 09:00") == {"supplement_reminder": 1}
    assert _sweep(catalogue_db, "2026-04-25 00:00") == {"supplement_lapsed": 1}
    assert [k for k, _, _ in _notices(catalogue_db, case_id)] == [
        "receipt", "supplement", "supplement_reminder", "supplement_lapsed"
    ]  # fmt: skip
    with catalogue_db.transaction() as s:
        reminder = s.scalar(select(Notice).where(Notice.kind == "supplement_reminder"))
        assert reminder is not None and reminder.payload["items"] == ["戶口名簿影本"]


def test_a_sweep_catching_up_after_the_supplement_deadline_sends_no_reminder(
    catalogue_db: Database,
) -> None:
    case_id = _file(catalogue_db)
    with catalogue_db.transaction() as s:
        actions.request_supplement(
            s, case_id, ["戶口名簿影本"], actor="c", now=at("2026-04-14 10:00")
        )  # supplement due 04-24: reminder on 04-22, lapse on 04-25
    assert _sweep(catalogue_db, "2026-04-26 10:00") == {"supplement_lapsed": 1}
    assert [k for k, _, _ in _notices(catalogue_db, case_id)] == [
        "receipt", "supplement", "supplement_lapsed"
    ]  # fmt: skip


def test_a_closure_tells_each_applicant_the_new_date_once(catalogue_db: Database) -> None:
    moved = _file(catalogue_db, email="wang@example.org", notify_by="both")
    unmoved = _file(catalogue_db, "five-wd")
    with catalogue_db.transaction() as s:
        closing.complete(s, unmoved, actor="c", now=FILED)
        declare_closure(s, date(2026, 4, 15), reason="颱風停止上班", actor="a", now=FILED)
    assert [(k, c) for k, c, _ in _notices(catalogue_db, moved)][-2:] == [
        ("retimed", "sms"),
        ("retimed", "email"),
    ]
    assert "retimed" not in [k for k, _, _ in _notices(catalogue_db, unmoved)]
    with catalogue_db.transaction() as s:
        notice = s.scalar(select(Notice).where(Notice.kind == "retimed"))
        assert notice is not None
        assert notice.payload["due_date"] == "2026-04-21"
        assert notice.payload["old_due_date"] == "2026-04-20"
        assert notice.payload["reason"] == "颱風停止上班"
        assert s.get(Case, moved).watch_at == at("2026-04-20 08:00")  # type: ignore[union-attr]


def test_two_sweeps_over_the_same_due_case_write_one_notice(catalogue_db: Database) -> None:
    case_id = _file(catalogue_db)
    # A sweep that crashed after writing but before the case was marked handled is the same as
    # two sweeps racing: the second must not write the notice again.
    with catalogue_db.transaction() as s:
        sweep_batch(s, now=at("2026-04-21 00:01"))
        s.get(Case, case_id).watched_until = None  # type: ignore[union-attr]
        s.get(Case, case_id).watch_at = at("2026-04-21 00:00")  # type: ignore[union-attr]
    _sweep(catalogue_db, "2026-04-21 00:02")
    overdue = [n for n in _notices(catalogue_db, case_id) if n[0] == "overdue"]
    assert overdue == [("overdue", "sms", "pending")]


def test_a_big_batch_of_notices_is_written_once(catalogue_db: Database) -> None:
    # Enough rows to take the staged (COPY) path on PostgreSQL; duplicates inside the batch and
    # a second run of the same batch add nothing.
    from tracker.notices.outbox import Addressees, insert_notices, notice_rows

    case_id = _file(catalogue_db)
    rows = [
        row
        for minute in range(150)
        for row in notice_rows(
            Addressees(case_id, "en", "sms", "+886912345678", None, None),
            "overdue",
            trigger_at=FILED + timedelta(minutes=minute),
            now=FILED,
            values={"case_number": "20260413-0001", "reason": "審核中 <b>"},
            channels=[("sms", "+886912345678"), ("letter", None)],
        )
    ]
    with catalogue_db.transaction() as s:
        insert_notices(s, rows + rows[:10])
    with catalogue_db.transaction() as s:
        insert_notices(s, rows)
    with catalogue_db.transaction() as s:
        written = s.scalars(
            select(Notice).where(Notice.case_id == case_id, Notice.kind == "overdue")
        ).all()
    assert len(written) == 300
    letter = next(n for n in written if n.channel == "letter")
    assert (letter.status, letter.recipient, letter.language) == ("task", None, "en")
    assert letter.payload["reason"] == "審核中 <b>"
    assert {n.trigger_at for n in written} == {FILED + timedelta(minutes=m) for m in range(150)}
