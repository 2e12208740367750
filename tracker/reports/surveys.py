"""Satisfaction surveys (滿意度調查, DESIGN §4.6): one score and an optional comment per case.

Only completed cases are rated: the invitation goes out only after completion (``complete`` in
tracker.cases.actions), and a score for a rejected or withdrawn case would rate the decision, not
the service. One answer per case is kept by the unique constraint: the row is inserted with
ON CONFLICT DO NOTHING and an empty result means somebody answered first, never check-then-insert.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.deadlines.timezones import require_aware
from tracker.errors import AlreadyAnswered, InvalidInput, SurveyNotOpen
from tracker.lifecycle import CaseStatus
from tracker.models import Case, SurveyResponse
from tracker.models.surveys import COMMENT_MAX
from tracker.text import clean_text

SCORES = (1, 2, 3, 4, 5)


def check_answer(score: object, comment: str | None) -> tuple[int, str | None]:
    """The score and the trimmed comment (None when empty), or InvalidInput naming the field."""
    problems: dict[str, str] = {}
    # bool is an int in Python: True must not count as a score of 1.
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        problems["score"] = "must be a whole number from 1 to 5"
    try:
        text = clean_text(comment, max_length=COMMENT_MAX)
    except ValueError as exc:
        problems["comment"] = str(exc)
        text = ""
    if problems:
        raise InvalidInput(problems)
    assert isinstance(score, int)
    return score, text or None


def record_survey(
    session: Session, case: Case, score: object, comment: str | None, now: datetime
) -> SurveyResponse:
    """Keep the applicant's answer about a completed case; a second answer is refused."""
    score, text = check_answer(score, comment)
    if case.status != CaseStatus.COMPLETED:
        raise SurveyNotOpen(
            f"Case {case.number} is not completed; only completed cases are rated.",
            number=case.number,
        )
    values = {
        "case_id": case.id,
        "service_id": case.service_id,
        "department_id": case.department_id,
        "score": score,
        "comment": text,
        "answered_at": require_aware(now, "now"),
    }
    table = SurveyResponse.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["case_id"])
        .returning(table.c.id)
    )
    new_id = session.execute(statement).scalar()
    if new_id is None:
        raise AlreadyAnswered(
            f"The survey of case {case.number} has already been answered.", number=case.number
        )
    response = session.get(SurveyResponse, new_id)
    assert response is not None
    return response
