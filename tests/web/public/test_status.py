"""Citizen status lookup: number + code, the same answer for every refusal, public facts only."""

from __future__ import annotations

import re
from datetime import date, timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.conftest import csrf_token
from tracker.calendar.changes import declare_closure
from tracker.cases import actions as case_actions
from tracker.cases import closing
from tracker.db import Database
from tracker.identifiers import format_lookup_code
from tracker.watch.sweep import sweep_batch


def _file(app: Flask, **fields: object) -> tuple[int, str, str]:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session, **fields)
        return case.id, case.number, case.lookup_code


def _lookup(client: FlaskClient, number: str, code: str, **kwargs: object) -> TestResponse:
    token = csrf_token(client.get("/status").get_data(as_text=True))
    return client.post(
        "/status", data={"csrf_token": token, "number": number, "code": code}, **kwargs
    )


def _without_tokens(html: str) -> str:
    """The page with what legitimately differs between two answers removed: tokens, echoes."""
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_number_and_code_open_the_case_page(app: Flask, client: FlaskClient) -> None:
    _, number, code = _file(app, email="ming@example.org")
    # As a person types it from the receipt: grouped and in lower case.
    response = _lookup(client, number, format_lookup_code(code).lower())
    assert response.status_code == 303
    assert response.headers["Location"] == "/status/case"

    page = client.get("/status/case")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert number in html
    assert "五工作天案件" in html  # the service
    assert "王○明" in html and "王小明" not in html  # masked name, never the full one
    assert "07-311-0000" in html  # the department's phone
    for private in ("0912", "345-678", "ming@example.org", code):
        assert private not in html
    assert 'aria-current="step"' in html and "<progress" in html


def test_a_wrong_number_and_a_wrong_code_get_the_same_answer(
    app: Flask, client: FlaskClient
) -> None:
    _, number, code = _file(app)
    wrong_code = "2" * 10 if code != "2" * 10 else "3" * 10
    wrong_number = _lookup(client, "20990101-0001", code)
    wrong_code_answer = _lookup(client, number, wrong_code)

    assert wrong_number.status_code == wrong_code_answer.status_code == 200
    assert "Location" not in wrong_number.headers and "Location" not in wrong_code_answer.headers
    assert _without_tokens(wrong_number.get_data(as_text=True)) == _without_tokens(
        wrong_code_answer.get_data(as_text=True)
    ).replace(number, "20990101-0001")
    assert "查無此案件" in wrong_code_answer.get_data(as_text=True)
    # Neither refusal opens the case page.
    assert client.get("/status/case").headers["Location"] == "/status"


def test_the_code_is_never_echoed_nor_put_in_any_address(app: Flask, client: FlaskClient) -> None:
    _, number, code = _file(app)
    refused = _lookup(client, number, code[:-1] + ("2" if code[-1] != "2" else "3"))
    assert code[:-1] not in refused.get_data(as_text=True)
    accepted = _lookup(client, number, code)
    shown = client.get(accepted.headers["Location"])
    for response in (refused, accepted, shown):
        assert code not in response.headers.get("Location", "")
        assert code not in response.get_data(as_text=True)


def test_the_sms_link_fills_in_the_number_only(app: Flask, client: FlaskClient) -> None:
    _, number, _code = _file(app)
    page = client.get(f"/s/{number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="{number}"' in html
    assert (
        re.search(r'name="code" [^>]*value=""', html) or 'name="code" type="text" value=""' in html
    )
    # A case number that does not exist gets the same form: the link reveals nothing.
    assert client.get("/s/20990101-0001").status_code == 200


def test_the_form_page_loads_the_fragment_script(client: FlaskClient) -> None:
    html = client.get("/status").get_data(as_text=True)
    assert '<script src="/static/status.js" defer></script>' in html
    assert 'id="status-form"' in html
    script = client.get("/static/status.js")
    assert script.status_code == 200
    assert b"location.hash" in script.data and b"replaceState" in script.data


def test_empty_fields_are_named_beside_them(client: FlaskClient) -> None:
    token = csrf_token(client.get("/status").get_data(as_text=True))
    html = client.post("/status", data={"csrf_token": token}).get_data(as_text=True)
    assert "請輸入案件編號" in html and "請輸入查詢碼" in html
    assert 'aria-invalid="true"' in html


def test_without_a_lookup_the_case_page_sends_back_to_the_form(client: FlaskClient) -> None:
    response = client.get("/status/case")
    assert response.status_code == 303
    assert response.headers["Location"] == "/status"


def test_the_lookup_expires_and_can_be_forgotten(app: Flask, client: FlaskClient) -> None:
    _, number, code = _file(app)
    with time_machine.travel(NOW, tick=False) as traveller:
        _lookup(client, number, code)
        assert client.get("/status/case").status_code == 200
        traveller.shift(timedelta(minutes=31))
        assert client.get("/status/case").status_code == 303

    _lookup(client, number, code)
    page = client.get("/status/case").get_data(as_text=True)
    forgotten = client.post("/status/forget", data={"csrf_token": csrf_token(page)})
    assert forgotten.status_code == 303
    assert client.get("/status/case").status_code == 303


def _replay(client: FlaskClient, saved: str) -> None:
    """Put back a session cookie saved earlier, as someone who copied it would."""
    client.set_cookie("tracker_session", saved)


def test_forget_ends_the_lookup_on_the_server(app: Flask, client: FlaskClient) -> None:
    _, number, code = _file(app)
    _lookup(client, number, code)
    page = client.get("/status/case").get_data(as_text=True)
    saved = client.get_cookie("tracker_session")
    assert saved is not None
    _replay(client, saved.value)
    assert client.get("/status/case").status_code == 200  # the copy works until forgotten

    assert client.post("/status/forget", data={"csrf_token": csrf_token(page)}).status_code == 303
    _replay(client, saved.value)
    replayed = client.get("/status/case")
    assert replayed.status_code == 303
    assert replayed.headers["Location"] == "/status"

    _lookup(client, number, code)  # the number and code open the case again, afresh
    assert client.get("/status/case").status_code == 200


def test_internal_notes_never_reach_the_page(app: Flask, client: FlaskClient) -> None:
    case_id, number, code = _file(app)
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case_actions.add_note(
            session,
            case_id,
            "Neighbour complained; check twice",
            public=False,
            actor="clerk:test",
            now=NOW + timedelta(hours=1),
        )
        case_actions.add_note(
            session,
            case_id,
            "Your file is with the reviewer",
            public=True,
            actor="clerk:test",
            now=NOW + timedelta(hours=2),
        )
    _lookup(client, number, code)
    html = client.get("/status/case").get_data(as_text=True)
    assert "Your file is with the reviewer" in html
    assert "Neighbour complained" not in html
    assert "clerk:test" not in html


def test_a_paused_case_says_what_is_missing_and_by_when(app: Flask, client: FlaskClient) -> None:
    case_id, number, code = _file(app)
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case_actions.request_supplement(
            session,
            case_id,
            ["戶口名簿影本", "印章"],
            actor="clerk:test",
            now=NOW + timedelta(days=1),
            deadline=date(2026, 4, 24),
        )
    _lookup(client, number, code)
    html = client.get("/status/case", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "We are waiting for your documents" in html
    assert "戶口名簿影本" in html and "印章" in html
    assert "24 Apr 2026" in html
    assert "Waiting for your documents" in html  # the status in plain words
    assert "The time limit is paused until your documents arrive." in html


def test_an_overdue_case_gives_the_reason_and_the_expected_completion(
    app: Flask, client: FlaskClient
) -> None:
    case_id, number, code = _file(app)  # received Mon 2026-04-13, 5wd: due 2026-04-20
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case_actions.set_overdue_info(
            session,
            case_id,
            "等待地政事務所回函",
            date(2026, 4, 28),
            actor="clerk:test",
            now=NOW + timedelta(days=8),
        )
    with time_machine.travel(NOW + timedelta(days=9), tick=False):
        _lookup(client, number, code)
        html = client.get("/status/case").get_data(as_text=True)
    assert "本案已超過處理期限" in html
    assert "等待地政事務所回函" in html
    assert "115年4月28日" in html
    assert "tag--overdue" in html


def test_a_label_and_its_value_have_no_space_after_the_chinese_colon(
    app: Flask, client: FlaskClient
) -> None:
    case_id, number, code = _file(app)
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case_actions.start(session, case_id, actor="clerk:test", now=NOW)
        case_actions.advance_step(session, case_id, 1, actor="clerk:test", now=NOW)
        case_actions.request_supplement(
            session, case_id, ["戶口名簿影本", "印章"], actor="clerk:test", now=NOW,
            deadline=date(2026, 4, 24),
        )  # fmt: skip
        case_actions.receive_supplement(session, case_id, actor="clerk:test", now=NOW)
        case_actions.set_overdue_info(
            session, case_id, "等待回函", date(2026, 4, 28), actor="clerk:test",
            now=NOW + timedelta(days=8),
        )  # fmt: skip
    with time_machine.travel(NOW + timedelta(days=9), tick=False):
        _lookup(client, number, code)
        chinese = client.get("/status/case").get_data(as_text=True)
        english = client.get("/status/case", headers={"Accept-Language": "en"}).text
    for words in (
        "<p>原因：等待回函</p>",
        "<p>預計完成日期：115年4月28日</p>",
        ">預計完成日期：115年4月28日</p>",  # the timeline's line of the promise
        ">進入下一個步驟：審核</p>",
        ">文件：戶口名簿影本、印章。期限 115年4月24日。</p>",
    ):
        assert words in chinese, words
    assert "： " not in chinese
    for words in (
        "<p>Reason: 等待回函</p>",
        "<p>Expected completion: 28 Apr 2026</p>",
        ">Moved to the next step: Review</p>",
        ">Documents: 戶口名簿影本, 印章. By 24 Apr 2026.</p>",
    ):
        assert words in english, words


def test_the_timeline_gives_the_default_overdue_reason_in_the_readers_language(
    app: Flask, client: FlaskClient
) -> None:
    _, number, code = _file(app, language="en")  # the applicant reads English
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        sweep_batch(session, now=NOW + timedelta(days=9))  # overdue: the service's default reason
    _lookup(client, number, code)
    chinese = _timeline(client.get("/status/case").get_data(as_text=True))
    english = _timeline(
        client.get("/status/case", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    assert "案件處理中" in chinese and "Being processed" not in chinese
    assert "Being processed" in english and "案件處理中" not in english


def test_a_closure_in_the_timeline_reads_in_the_readers_language(
    app: Flask, client: FlaskClient
) -> None:
    _, number, code = _file(app)  # due 2026-04-20: a closure on 04-15 moves it
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        declare_closure(session, date(2026, 4, 15), reason="颱風", actor="admin", now=NOW)
    _lookup(client, number, code)
    chinese = _timeline(client.get("/status/case").get_data(as_text=True))
    english = _timeline(
        client.get("/status/case", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    # The administrator's reason as typed, in the product's words of each language.
    assert "2026-04-15 停止上班：颱風" in chinese and "office closure" not in chinese
    assert "2026-04-15 office closure: 颱風" in english


def _timeline(html: str) -> str:
    return html[html.index('class="timeline"') :]


def test_a_case_on_time_is_not_called_overdue(app: Flask, client: FlaskClient) -> None:
    _, number, code = _file(app)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        _lookup(client, number, code)
        html = client.get("/status/case").get_data(as_text=True)
    assert "已逾期" not in html and "本案已超過處理期限" not in html
    assert "115年4月20日" in html  # the due date


def test_a_completed_case_shows_every_step_done(app: Flask, client: FlaskClient) -> None:
    case_id, number, code = _file(app)
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        closing.complete(
            session, case_id, actor="clerk:test", now=NOW + timedelta(days=2), note="核准"
        )
    _lookup(client, number, code)
    html = client.get("/status/case").get_data(as_text=True)
    assert "您的案件已辦結" in html
    assert html.count("flow__step--done") == 3
    assert 'value="3"' in html and 'max="3"' in html


def test_a_petition_not_handled_says_so_with_the_reason(app: Flask, client: FlaskClient) -> None:
    case_id, number, code = _file(app, service_code="petition")
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        closing.decline(
            session,
            case_id,
            "repeated",
            "同一事由已於3月20日函復",
            actor="clerk:test",
            now=NOW + timedelta(days=1),
        )
    _lookup(client, number, code)
    html = client.get("/status/case").get_data(as_text=True)
    assert "陳情不予處理（行政程序法第173條）" in html and "tag--closed" in html
    assert "同一事由已於3月20日函復" in html
    english = client.get("/status/case", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Petition not handled (Administrative Procedure Act Art. 173)" in english
