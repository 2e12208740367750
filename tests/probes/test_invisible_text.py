"""Names and free text refuse direction controls and zero-width marks, wherever they come in:
the console's forms, the API and the public survey. A name of only such marks is empty."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.api.conftest import ApiClient, error_of
from tests.web.conftest import csrf_token
from tests.web.counter.conftest import Console
from tests.web.counter.test_filing import APPLICANT as FILED
from tracker.cases import closing
from tracker.db import Database
from tracker.models import Case, SurveyResponse, User
from tracker.notices.links import survey_token

SPOOFED = "王小明\u202e\u2066"  # right-to-left override: what is stored differs from what shows
ONLY_MARKS = "\u200b\u200d \ufeff"
APPLICANT = {**FILED, "documents": ["0"]}  # the filing tests' applicant, one document ticked


def _errors(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field__error" id="([a-z_]+)-error">([^<]*)</p>', page))


def _cases(database: Database) -> list[Case]:
    with database.transaction() as session:
        return list(session.scalars(select(Case)))


def test_the_console_refuses_a_spoofed_name_in_both_languages(
    clerk: Console, catalogue_db: Database
) -> None:
    refused = clerk.post("/counter/file/five-wd", {**APPLICANT, "applicant_name": SPOOFED})
    assert refused.status_code == 422
    assert (
        "invisible direction or zero-width mark (U+202E)" in _errors(refused.text)["applicant_name"]
    )
    note = clerk.post("/counter/file/five-wd", {**APPLICANT, "note": "ok\u200bok"})
    assert "(U+200B)" in _errors(note.text)["note"]
    clerk.client.set_cookie("lang", "zh-TW")
    chinese = clerk.post("/counter/file/five-wd", {**APPLICANT, "applicant_name": SPOOFED})
    assert "看不見的文字方向或零寬度符號（U+202E）" in _errors(chinese.text)["applicant_name"]
    assert _cases(catalogue_db) == []


def test_the_console_takes_a_name_of_only_marks_as_empty(
    clerk: Console, catalogue_db: Database
) -> None:
    refused = clerk.post("/counter/file/five-wd", {**APPLICANT, "applicant_name": ONLY_MARKS})
    assert refused.status_code == 422
    assert _errors(refused.text)["applicant_name"] == "Enter “Applicant&#39;s name”."
    assert _cases(catalogue_db) == []


def test_an_admin_cannot_give_a_user_a_spoofed_display_name(
    console: Console, catalogue_db: Database
) -> None:
    assert console.login("root").status_code == 303
    form = {
        "username": "newclerk",
        "display_name": "Wang\u202eGNAW",
        "role": "clerk",
        "department": "sanmin/social",
        "password": "a-long-enough-password-1",
    }
    refused = console.post("/counter/admin/users", form)
    assert refused.status_code == 422
    assert "(U+202E)" in refused.text
    with catalogue_db.transaction() as session:
        assert session.scalar(select(User).where(User.username == "newclerk")) is None


def test_the_api_refuses_a_spoofed_name_and_takes_only_marks_as_missing(
    api: ApiClient, catalogue_db: Database
) -> None:
    spoofed = api.post("/cases", {"service": "five-wd", "applicant_name": SPOOFED})
    assert spoofed.status_code == 422
    assert "U+202E" in error_of(spoofed)["fields"]["applicant_name"]
    marks = api.post("/cases", {"service": "five-wd", "applicant_name": ONLY_MARKS})
    assert marks.status_code == 422
    assert error_of(marks)["fields"]["applicant_name"] == "is required"
    assert _cases(catalogue_db) == []


def test_the_survey_refuses_a_spoofed_comment(app: Flask) -> None:
    client = app.test_client()
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session, now=NOW, email="ming@example.org")
        closing.complete(session, case.id, note="核准", actor="clerk", now=NOW)
        number = case.number
    link = f"/survey/{number}/{survey_token(app.config['SECRET_KEY'], number)}"
    token = csrf_token(client.get(link).get_data(as_text=True))
    refused = client.post(link, data={"csrf_token": token, "score": "4", "comment": "好\u202e評"})
    assert refused.status_code == 422
    assert "意見中含有無法處理的特殊字元" in refused.get_data(as_text=True)
    with database.transaction() as session:
        assert list(session.scalars(select(SurveyResponse))) == []
    # Only marks: no comment at all, and the answer is kept.
    kept = client.post(link, data={"csrf_token": token, "score": "4", "comment": ONLY_MARKS})
    assert kept.status_code == 303
    with database.transaction() as session:
        assert [(r.score, r.comment) for r in session.scalars(select(SurveyResponse))] == [
            (4, None)
        ]
