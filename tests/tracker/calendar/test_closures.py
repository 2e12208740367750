"""Declaring a closure re-times the open cases it touches, in one pass, with an event on each."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from notifications.render import render
from tests.factories import create_case
from tracker.calendar.changes import declare_closure, import_dgpa_calendar, withdraw_closure
from tracker.calendar.dgpa import DgpaDay
from tracker.cases import actions, closing
from tracker.db import Database
from tracker.errors import InvalidInput
from tracker.models import Case, CaseEvent, Closure, Notice

MON = datetime(2026, 4, 13, 2, tzinfo=UTC)  # Monday 2026-04-13 10:00 Taipei
LATER = datetime(2026, 4, 14, 1, tzinfo=UTC)


def _due(db: Database, case_id: int) -> date | None:
    with db.transaction() as s:
        return s.get(Case, case_id).due_date  # type: ignore[union-attr]


def test_a_city_wide_closure_moves_touched_cases_only(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        wd = create_case(s, "five-wd", now=MON).id  # due 04-20
        cal = create_case(s, "fourteen-d", now=MON).id  # 04-27 (Mon)
        month = create_case(s, "one-month", now=MON).id  # ends 05-13 (Wed)
        done = create_case(s, "five-wd", now=MON).id
        closing.complete(s, done, actor="c", now=MON)
        untouched = create_case(s, "five-wd", now=datetime(2026, 4, 16, 2, tzinfo=UTC)).id
    assert _due(catalogue_db, wd) == date(2026, 4, 20)

    with catalogue_db.transaction() as s:
        result = declare_closure(
            s, date(2026, 4, 15), reason="颱風停止上班", actor="admin", now=LATER
        )

    assert {r.case_id for r in result.retimed} == {wd, cal, month}
    assert _due(catalogue_db, wd) == date(2026, 4, 21)  # one working day fewer
    assert _due(catalogue_db, cal) == date(2026, 4, 28)  # a closure suspends calendar days too
    assert _due(catalogue_db, month) == date(2026, 5, 14)
    assert _due(catalogue_db, done) == date(2026, 4, 20)  # closed cases keep their history
    assert _due(catalogue_db, untouched) == date(2026, 4, 23)  # received after the closure
    with catalogue_db.transaction() as s:
        events = s.scalars(select(CaseEvent).where(CaseEvent.kind == "retimed")).all()
        assert sorted(e.case_id for e in events) == sorted([wd, cal, month])
        assert all(e.public and e.actor == "admin" for e in events)
        by_case = {e.case_id: e.data for e in events}
        assert by_case[wd]["old_due"] == "2026-04-20" and by_case[wd]["new_due"] == "2026-04-21"
        assert s.get(Case, wd).version == 2  # type: ignore[union-attr]


def test_an_agency_closure_leaves_other_agencies_alone(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        sanmin = create_case(s, "five-wd", now=MON).id
        yanchao = create_case(s, "one-month", now=MON).id
    with catalogue_db.transaction() as s:
        result = declare_closure(
            s, date(2026, 4, 15), agency_code="sanmin", reason="停電", actor="a", now=LATER
        )
    assert [r.case_id for r in result.retimed] == [sanmin]
    assert _due(catalogue_db, yanchao) == date(2026, 5, 13)


def test_new_cases_see_the_closure(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        declare_closure(s, date(2026, 4, 15), reason="颱風", actor="a", now=MON)
    with catalogue_db.transaction() as s:
        assert create_case(s, "five-wd", now=MON).due_date == date(2026, 4, 21)


def test_a_paused_case_is_timed_when_documents_arrive(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        case_id = create_case(s, "five-wd", now=MON).id
        actions.request_supplement(s, case_id, ["x"], actor="c", now=LATER)
    with catalogue_db.transaction() as s:
        assert (
            declare_closure(s, date(2026, 4, 22), reason="颱風", actor="a", now=LATER).retimed == []
        )
    with catalogue_db.transaction() as s:
        # Day 1 is 04-14; pause (04-14, 04-20]; 04-21, 04-23, 04-24, 04-27 are days 2–5.
        case = actions.receive_supplement(
            s, case_id, actor="c", now=datetime(2026, 4, 20, 2, tzinfo=UTC)
        )
        assert case.due_date == date(2026, 4, 27)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"reason": "x", "agency_code": "nowhere"}, "agency"),
    ],
)
def test_bad_closures_change_nothing(catalogue_db: Database, kwargs: dict, field: str) -> None:  # type: ignore[type-arg]
    with catalogue_db.transaction() as s:
        case_id = create_case(s, "five-wd", now=MON).id
    with pytest.raises(InvalidInput) as refused, catalogue_db.transaction() as s:
        declare_closure(s, date(2026, 4, 15), actor="a", now=LATER, **kwargs)
    assert field in refused.value.fields
    assert _due(catalogue_db, case_id) == date(2026, 4, 20)
    with catalogue_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Closure)) == 0


def test_the_same_closure_twice_is_refused(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        declare_closure(s, date(2026, 4, 15), reason="颱風", actor="a", now=LATER)
    with pytest.raises(InvalidInput, match="already declared"), catalogue_db.transaction() as s:
        declare_closure(
            s, date(2026, 4, 15), agency_code="sanmin", reason="颱風", actor="a", now=LATER
        )


def test_a_dgpa_import_retimes_the_cases_whose_days_changed(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        case_id = create_case(s, "five-wd", now=MON).id  # due 04-20
    days = [
        DgpaDay(date(2026, 4, 15), False, "颱風停止上班"),
        DgpaDay(date(2026, 4, 16), True, ""),  # already a working day: no change
    ]
    with catalogue_db.transaction() as s:
        result = import_dgpa_calendar(s, days, source="115.csv", actor="admin", now=LATER)
    assert result.changed_days == [date(2026, 4, 15)]
    assert [r.case_id for r in result.retimed] == [case_id]
    assert _due(catalogue_db, case_id) == date(2026, 4, 21)
    with catalogue_db.transaction() as s:
        again = import_dgpa_calendar(s, days, source="115.csv", actor="admin", now=LATER)
    assert again.changed_days == [] and again.retimed == []


def _retimed_notices(db: Database) -> dict[tuple[int, str], Notice]:
    with db.transaction() as s:
        rows = s.scalars(select(Notice).where(Notice.kind == "retimed"))
        return {(n.case_id, n.channel): n for n in rows}


def test_a_dgpa_import_tells_each_applicant_the_reason_in_their_language(
    catalogue_db: Database,
) -> None:
    with catalogue_db.transaction() as s:
        english = create_case(
            s, "five-wd", now=MON, language="en", email="lin@example.org", notify_by="both"
        ).id
        chinese = create_case(s, "five-wd", now=MON).id
    with catalogue_db.transaction() as s:
        day = DgpaDay(date(2026, 4, 15), False, "颱風停止上班")
        import_dgpa_calendar(s, [day], source="115.csv", actor="admin", now=LATER)
    told = _retimed_notices(catalogue_db)
    assert told[(english, "sms")].payload["reason"] == "Office calendar updated"
    assert told[(chinese, "sms")].payload["reason"] == "行政機關辦公日曆表更新"
    email = told[(english, "email")]
    text = render("retimed", "email", email.language, {**email.payload, "status_url": "x"}).text
    assert text is not None and "- Reason: Office calendar updated" in text
    with catalogue_db.transaction() as s:
        events = s.scalars(select(CaseEvent.data).where(CaseEvent.kind == "retimed")).all()
    # The events keep both, for whoever reads the timeline.
    both = {"zh-TW": "行政機關辦公日曆表更新", "en": "Office calendar updated"}
    assert [data["reason"] for data in events] == [both, both]


def test_a_closure_reason_is_told_as_the_administrator_typed_it(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        english = create_case(s, "five-wd", now=MON, language="en").id
    with catalogue_db.transaction() as s:
        declare_closure(s, date(2026, 4, 15), reason="颱風停止上班", actor="admin", now=LATER)
    assert _retimed_notices(catalogue_db)[(english, "sms")].payload["reason"] == "颱風停止上班"


# --- withdrawing a closure ------------------------------------------------------------------

WITHDRAWN = datetime(2026, 4, 14, 9, tzinfo=UTC)  # the typhoon turned away that evening
AGAIN = datetime(2026, 4, 14, 11, tzinfo=UTC)


def test_a_withdrawn_closure_gives_each_case_its_due_date_back(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        wd = create_case(s, "five-wd", now=MON).id  # due 04-20; with the closure 04-21
        cal = create_case(s, "fourteen-d", now=MON).id  # 04-27; with it 04-28
        untouched = create_case(s, "five-wd", now=datetime(2026, 4, 16, 2, tzinfo=UTC)).id
    with catalogue_db.transaction() as s:
        declare_closure(s, date(2026, 4, 15), reason="颱風停止上班", actor="admin", now=LATER)
    assert (_due(catalogue_db, wd), _due(catalogue_db, cal)) == (
        date(2026, 4, 21),
        date(2026, 4, 28),
    )

    with catalogue_db.transaction() as s:
        result = withdraw_closure(
            s, date(2026, 4, 15), reason="颱風轉向，照常上班", actor="admin", now=WITHDRAWN
        )
    assert sorted(r.case_id for r in result.retimed) == sorted([wd, cal])
    assert (_due(catalogue_db, wd), _due(catalogue_db, cal)) == (
        date(2026, 4, 20),
        date(2026, 4, 27),
    )
    assert _due(catalogue_db, untouched) == date(2026, 4, 23)
    with catalogue_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Closure)) == 0
        line = s.scalars(
            select(CaseEvent).where(CaseEvent.kind == "retimed", CaseEvent.case_id == wd)
        ).all()[-1]
        assert line.note == "2026-04-15 停止上班已取消：颱風轉向，照常上班"
        assert line.data["old_due"] == "2026-04-21" and line.data["new_due"] == "2026-04-20"
        told = s.scalars(select(Notice).where(Notice.kind == "retimed", Notice.case_id == wd)).all()
    # Told twice in all: the closure's new date, then the date given back.
    assert [n.payload.get("withdrawn", False) for n in told] == [False, True]
    assert told[1].payload["new_due_date"] == "2026-04-20"
    sms = render("retimed", "sms", "zh-TW", {**told[1].payload, "status_url": "https://x/s/1"})
    assert sms.sms is not None and "停止上班已取消" in sms.sms


def test_declared_again_after_a_withdrawal_each_applicant_is_told_again(
    catalogue_db: Database,
) -> None:
    with catalogue_db.transaction() as s:
        case_id = create_case(s, "five-wd", now=MON).id
    day = date(2026, 4, 15)
    with catalogue_db.transaction() as s:
        declare_closure(s, day, reason="颱風", actor="a", now=LATER)
    with catalogue_db.transaction() as s:
        withdraw_closure(s, day, reason="誤植", actor="a", now=WITHDRAWN)
    with catalogue_db.transaction() as s:
        declare_closure(s, day, reason="颱風", actor="a", now=AGAIN)
    assert _due(catalogue_db, case_id) == date(2026, 4, 21)
    with catalogue_db.transaction() as s:
        dues = [
            n.payload["new_due_date"]
            for n in s.scalars(
                select(Notice)
                .where(Notice.kind == "retimed", Notice.case_id == case_id, Notice.channel == "sms")
                .order_by(Notice.id)
            )
        ]
    assert dues == ["2026-04-21", "2026-04-20", "2026-04-21"]


def test_withdrawing_one_agencys_closure_leaves_the_others(catalogue_db: Database) -> None:
    day = date(2026, 4, 15)
    with catalogue_db.transaction() as s:
        sanmin = create_case(s, "five-wd", now=MON).id
        yanchao = create_case(s, "one-month", now=MON).id
        declare_closure(s, day, agency_code="sanmin", reason="停電", actor="a", now=LATER)
        declare_closure(s, day, agency_code="yanchao", reason="停電", actor="a", now=LATER)
    with catalogue_db.transaction() as s:
        result = withdraw_closure(s, day, agency_code="sanmin", reason="復電", actor="a", now=AGAIN)
    assert [r.case_id for r in result.retimed] == [sanmin]
    assert _due(catalogue_db, sanmin) == date(2026, 4, 20)
    assert _due(catalogue_db, yanchao) == date(2026, 5, 14)  # its own closure still holds


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "誤植", "agency_code": "nowhere"}, "agency"),
        ({"reason": "   "}, "reason"),
        ({"reason": "誤植", "agency_code": "sanmin"}, "day"),  # only a city-wide one is declared
        ({"reason": "誤植", "day": date(2026, 4, 16)}, "day"),  # nothing declared that day
    ],
)
def test_a_withdrawal_that_cannot_be_made_changes_nothing(
    catalogue_db: Database,
    kwargs: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    with catalogue_db.transaction() as s:
        case_id = create_case(s, "five-wd", now=MON).id
        declare_closure(s, date(2026, 4, 15), reason="颱風", actor="a", now=LATER)
    given = dict(kwargs)  # the parameter's dict is shared by both backends' runs
    day = given.pop("day", date(2026, 4, 15))
    with pytest.raises(InvalidInput) as refused, catalogue_db.transaction() as s:
        withdraw_closure(s, day, actor="a", now=WITHDRAWN, **given)
    assert field in refused.value.fields
    assert _due(catalogue_db, case_id) == date(2026, 4, 21)
    with catalogue_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Closure)) == 1
