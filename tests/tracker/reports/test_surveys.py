"""Satisfaction surveys: one answer per completed case, kept by the database's constraint."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import NOW
from tests.factories import create_case
from tracker.cases import closing
from tracker.db import Database
from tracker.errors import AlreadyAnswered, InvalidInput, SurveyNotOpen
from tracker.models import Case, SurveyResponse
from tracker.notices.links import survey_token, survey_token_matches, survey_url
from tracker.reports.surveys import record_survey

DONE = NOW + timedelta(hours=2)
ANSWERED = NOW + timedelta(days=2)
SECRET = "survey-tests-" + "k" * 40


def _completed(db: Database, service: str = "five-wd") -> int:
    with db.transaction() as session:
        case_id = create_case(session, service, now=NOW).id
        closing.complete(session, case_id, note="核准", actor="clerk", now=DONE)
        return case_id


def _answer(db: Database, case_id: int, score: Any, comment: str | None = None) -> None:
    with db.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        record_survey(session, case, score, comment, ANSWERED)


def _responses(db: Database) -> list[SurveyResponse]:
    with db.transaction() as session:
        return list(session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


def test_an_answer_is_kept_with_its_service_and_department(catalogue_db: Database) -> None:
    case_id = _completed(catalogue_db)
    _answer(catalogue_db, case_id, 4, "  櫃台人員很親切\n謝謝  ")
    [response] = _responses(catalogue_db)
    case = _tracked(catalogue_db, case_id)
    assert response.case_id == case_id and response.score == 4
    assert response.comment == "櫃台人員很親切\n謝謝"  # trimmed, line breaks kept
    # Denormalised so reports count answers without joining cases.
    assert (response.service_id, response.department_id) == (case.service_id, case.department_id)
    assert response.answered_at == ANSWERED


def test_an_empty_comment_is_stored_as_none(catalogue_db: Database) -> None:
    _answer(catalogue_db, _completed(catalogue_db), 5, "   ")
    assert _responses(catalogue_db)[0].comment is None


def test_a_second_answer_is_refused_and_the_first_kept(catalogue_db: Database) -> None:
    case_id = _completed(catalogue_db)
    _answer(catalogue_db, case_id, 2, "等太久")
    with pytest.raises(AlreadyAnswered):
        _answer(catalogue_db, case_id, 5, "其實很好")
    assert [(r.score, r.comment) for r in _responses(catalogue_db)] == [(2, "等太久")]


@pytest.mark.parametrize("score", [0, 6, -1, True, "5", None, 4.5])
def test_a_bad_score_is_refused_and_nothing_is_stored(catalogue_db: Database, score: Any) -> None:
    case_id = _completed(catalogue_db)
    with pytest.raises(InvalidInput) as refused:
        _answer(catalogue_db, case_id, score)
    assert set(refused.value.fields) == {"score"}
    assert _responses(catalogue_db) == []
    _answer(catalogue_db, case_id, 3)  # a refusal does not use up the survey


def test_a_comment_is_at_most_1000_characters(catalogue_db: Database) -> None:
    first, second = _completed(catalogue_db), _completed(catalogue_db)
    with pytest.raises(InvalidInput) as refused:
        _answer(catalogue_db, first, 4, "好" * 1001)
    assert set(refused.value.fields) == {"comment"}
    with pytest.raises(InvalidInput):
        _answer(catalogue_db, first, 4, "bell\x07")
    _answer(catalogue_db, second, 4, "好" * 1000)
    assert [len(r.comment or "") for r in _responses(catalogue_db)] == [1000]


def test_only_completed_cases_are_rated(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as session:
        open_id = create_case(session, now=NOW).id
        rejected_id = create_case(session, now=NOW).id
        closing.reject(session, rejected_id, "資格不符", actor="clerk", now=DONE)
    for case_id in (open_id, rejected_id):
        with pytest.raises(SurveyNotOpen):
            _answer(catalogue_db, case_id, 5)
    assert _responses(catalogue_db) == []


def test_the_database_refuses_a_score_outside_1_to_5(catalogue_db: Database) -> None:
    case = _tracked(catalogue_db, _completed(catalogue_db))
    row = {
        "case_id": case.id,
        "service_id": case.service_id,
        "department_id": case.department_id,
        "score": 6,
        "answered_at": ANSWERED,
    }
    with pytest.raises(IntegrityError), catalogue_db.transaction() as session:
        session.execute(insert(SurveyResponse), [row])
    with pytest.raises(IntegrityError), catalogue_db.transaction() as session:
        session.execute(insert(SurveyResponse), [row | {"score": 3}, row | {"score": 4}])
    with catalogue_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_two_answers_racing_keep_exactly_one(pg_catalogue_db: Database) -> None:
    case_id = _completed(pg_catalogue_db)
    both_read = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(score: int) -> None:
        try:
            with pg_catalogue_db.transaction() as session:
                case = session.get(Case, case_id)
                assert case is not None
                both_read.wait(timeout=10)  # both saw no answer yet: only the constraint decides
                record_survey(session, case, score, None, ANSWERED)
            outcomes.append("kept")
        except AlreadyAnswered:
            outcomes.append("refused")

    threads = [threading.Thread(target=answer, args=(score,)) for score in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["kept", "refused"]
    assert len(_responses(pg_catalogue_db)) == 1


def test_the_survey_link_carries_a_token_only_the_secret_makes() -> None:
    token = survey_token(SECRET, "20260413-0001")
    assert len(token) == 8 and token == survey_token(SECRET, "20260413-0001")
    assert token != survey_token(SECRET, "20260413-0002")
    assert token != survey_token("another-" + SECRET, "20260413-0001")
    assert survey_token_matches(SECRET, "20260413-0001", token)
    assert not survey_token_matches(SECRET, "20260413-0002", token)
    assert not survey_token_matches(SECRET, "20260413-0001", token.upper() + "x")
    url = survey_url("https://casetrack.kcg.gov.tw/", "20260413-0001", SECRET)
    assert url == f"https://casetrack.kcg.gov.tw/survey/20260413-0001/{token}"


def _tracked(db: Database, case_id: int) -> Case:
    with db.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case
