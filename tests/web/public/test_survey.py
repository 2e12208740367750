"""The public survey page: the tokened link, one answer, the same calm page for every refusal."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.conftest import csrf_token
from tracker.cases import closing
from tracker.db import Database
from tracker.models import SurveyResponse
from tracker.notices.links import survey_token, survey_url


def _case(app: Flask, *, completed: bool = True) -> str:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session, now=NOW, email="ming@example.org")
        if completed:
            closing.complete(session, case.id, note="核准", actor="clerk", now=NOW)
        return case.number


def _link(app: Flask, number: str) -> str:
    return f"/survey/{number}/{survey_token(app.config['SECRET_KEY'], number)}"


def _answer(
    client: FlaskClient, link: str, token: str | None = None, **fields: object
) -> TestResponse:
    if token is None:
        token = csrf_token(client.get(link).get_data(as_text=True))
    return client.post(link, data={"csrf_token": token, **fields})


def _stored(app: Flask) -> list[tuple[int, str | None]]:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        return [(r.score, r.comment) for r in session.scalars(select(SurveyResponse))]


def _page(response: TestResponse) -> str:
    """The page without what legitimately differs: the CSRF token, the language links' return."""
    html = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))
    return re.sub(r"\?next=[^\"]*", "", html)


def test_the_link_opens_a_form_and_the_answer_is_kept(app: Flask, client: FlaskClient) -> None:
    link = _link(app, _case(app))
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    # zh-TW by default; five choices in words inside a fieldset with its legend.
    assert "您對本案的辦理情形滿意嗎？" in html and "非常滿意" in html and "非常不滿意" in html
    assert html.count('type="radio"') == 5
    assert "<fieldset" in html and "<legend" in html
    assert 'for="comment"' in html and "五工作天案件" in html
    # No personal data: not the name, not even masked, nor phone or email.
    for private in ("王小明", "王○明", "0912", "ming@example.org"):
        assert private not in html

    sent = _answer(client, link, score="4", comment="  很方便  ")
    assert sent.status_code == 303 and sent.headers["Location"] == "/survey/thanks"
    thanks = client.get("/survey/thanks")
    assert thanks.status_code == 200 and "謝謝您" in thanks.get_data(as_text=True)
    assert _stored(app) == [(4, "很方便")]


def test_a_second_answer_gets_the_calm_page_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    link = _link(app, _case(app))
    token = csrf_token(client.get(link).get_data(as_text=True))
    assert _answer(client, link, token, score="2").status_code == 303
    again = _answer(client, link, token, score="5", comment="改變心意")
    assert again.status_code == 404
    assert "這份問卷目前無法填寫" in again.get_data(as_text=True)
    assert client.get(link).status_code == 404
    assert _stored(app) == [(2, None)]


def test_every_link_that_opens_no_survey_gets_the_same_answer(
    app: Flask, client: FlaskClient
) -> None:
    number = _case(app)
    right = _link(app, number)
    token = right.rsplit("/", 1)[1]
    wrong = "A" * 8 if token != "A" * 8 else "B" * 8
    answered_link = _link(app, _case(app))
    assert _answer(client, answered_link, score="5").status_code == 303
    refusals = {
        "wrong token": client.get(f"/survey/{number}/{wrong}"),
        "truncated token": client.get(right[:-1]),
        "unknown case": client.get(_link(app, "20990101-0001")),
        "not completed": client.get(_link(app, _case(app, completed=False))),
        "already answered": client.get(answered_link),
    }
    pages = {name: _page(response) for name, response in refusals.items()}
    assert {response.status_code for response in refusals.values()} == {404}
    assert len(set(pages.values())) == 1, pages.keys()
    # Posting to a wrong link is refused the same way, before any answer is looked at.
    form_token = csrf_token(client.get(right).get_data(as_text=True))
    posted = _answer(client, f"/survey/{number}/{wrong}", form_token, score="5")
    assert posted.status_code == 404 and _page(posted) == pages["wrong token"]
    assert _stored(app) == [(5, None)]


def test_the_link_the_dispatcher_writes_opens_the_survey(app: Flask, client: FlaskClient) -> None:
    # The dispatcher signs with the settings' key; the web app checks with its SECRET_KEY.
    settings = app.config["SETTINGS"]
    url = survey_url(settings.public_base_url, _case(app), settings.secret_key)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 200


def test_the_number_alone_opens_nothing(app: Flask, client: FlaskClient) -> None:
    number = _case(app)
    assert client.get(f"/survey/{number}").status_code == 404


def test_an_answer_needs_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    link = _link(app, _case(app))
    client.get(link)
    refused = client.post(link, data={"score": "5"})
    assert refused.status_code == 400
    forged = client.post(link, data={"score": "5", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert _stored(app) == []


def test_a_missing_or_bad_score_is_named_beside_the_question(
    app: Flask, client: FlaskClient
) -> None:
    link = _link(app, _case(app))
    for fields in ({}, {"score": "9"}, {"score": "five"}, {"score": "4", "comment": "好" * 1001}):
        response = _answer(client, link, **fields)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, fields
        assert 'class="error-summary"' in html
        if "comment" in fields:
            assert "意見請縮短至 1000 字以內" in html
        else:
            assert 'id="score-error"' in html and "請選擇您的滿意程度" in html
            assert 'aria-describedby="score-error"' in html
    assert _stored(app) == []
    # The refusals did not use up the survey.
    assert _answer(client, link, score="3").status_code == 303


def test_the_survey_in_english(app: Flask, client: FlaskClient) -> None:
    link = _link(app, _case(app))
    client.set_cookie("lang", "en")
    html = client.get(link).get_data(as_text=True)
    assert "How satisfied are you with how we handled your application?" in html
    assert "Very satisfied" in html and "Five working days" in html
    assert "非常滿意" not in html
    refused = _answer(client, link, score="")
    assert "Choose how satisfied you are" in refused.get_data(as_text=True)
    assert _answer(client, link, score="1").status_code == 303
    assert "Thank you" in client.get("/survey/thanks").get_data(as_text=True)
    assert "This survey is not open" in client.get(link).get_data(as_text=True)


def test_guessing_links_is_rate_limited_but_answering_is_not(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(SURVEY_LIMIT_PER_CLIENT="3 per minute", SURVEY_LIMIT_PER_CASE="100/hour")
    number = _case(app)
    guesser = {"X-Forwarded-For": "198.51.100.41"}
    for n in range(3):
        assert client.get(f"/survey/{number}/guess{n:03d}", headers=guesser).status_code == 404
    stopped = client.get(_link(app, number), headers=guesser)
    assert stopped.status_code == 429
    # The applicant, elsewhere, opens and answers as often as the form needs.
    applicant = {"X-Forwarded-For": "203.0.113.41"}
    for _ in range(4):
        assert client.get(_link(app, number), headers=applicant).status_code == 200


def test_guessing_one_case_is_limited_per_client_and_its_applicant_still_gets_in(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(SURVEY_LIMIT_PER_CLIENT="100/minute", SURVEY_LIMIT_PER_CASE="2 per hour")
    number = _case(app)
    guesser = {"REMOTE_ADDR": "198.51.100.50"}
    for n in range(2):
        assert client.get(f"/survey/{number}/guess{n:03d}", environ_base=guesser).status_code == 404
    assert client.get(f"/survey/{number}/guess999", environ_base=guesser).status_code == 429
    # A stranger's guesses do not lock the applicant out of their own link.
    applicant = {"REMOTE_ADDR": "203.0.113.41"}
    assert client.get(_link(app, number), environ_base=applicant).status_code == 200
