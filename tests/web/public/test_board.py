"""The waiting-room board: masked numbers of ready and in-progress cases, one department."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.factories import create_case
from tracker.cases import closing
from tracker.db import Database


def test_the_board_shows_masked_numbers_ready_and_in_progress(
    app: Flask, client: FlaskClient
) -> None:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        ready = create_case(session)
        working = create_case(session)
        elsewhere = create_case(session, "fourteen-d")  # the civil section's
        closing.complete(session, ready.id, actor="clerk:test", now=NOW + timedelta(hours=1))
        numbers = ready.number, working.number, elsewhere.number
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        html = client.get("/board/sanmin/social").get_data(as_text=True)
    ready_part, progress_part = html.split('id="board-progress"')
    # The day and its running number (20260413-0001 → 0413-0001), never the year.
    assert f"<li>{numbers[0][4:]}</li>" in ready_part
    assert f"<li>{numbers[1][4:]}</li>" in progress_part
    assert numbers[2][4:] not in html
    for number in numbers:
        assert number not in html  # never the whole number
    assert "王" not in html  # nothing about the applicant
    assert 'class="board"' in html


def test_a_case_with_nothing_to_collect_is_completed_not_ready(
    app: Flask, client: FlaskClient
) -> None:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        collect = create_case(session)  # five-wd: something is collected
        paid = create_case(session, "five-wd-restart")  # pickup: false
        for case in (collect, paid):
            closing.complete(session, case.id, actor="clerk:test", now=NOW + timedelta(hours=1))
        numbers = collect.number[4:], paid.number[4:]
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        html = client.get("/board/sanmin/social").get_data(as_text=True)
    ready_part = html.split('id="board-ready"')[1].split("</section>")[0]
    completed_part = html.split('id="board-completed"')[1].split("</section>")[0]
    assert "可領件" in html
    assert "已辦結" in completed_part
    assert f"<li>{numbers[0]}</li>" in ready_part
    assert f"<li>{numbers[1]}</li>" in completed_part
    assert numbers[1] not in ready_part


def test_a_section_whose_services_all_have_something_to_collect_has_no_completed_column(
    client: FlaskClient,
) -> None:
    html = client.get("/board/yanchao/social").get_data(as_text=True)
    assert 'id="board-ready"' in html
    assert 'id="board-completed"' not in html


def test_the_board_reloads_itself_without_a_meta_refresh(client: FlaskClient) -> None:
    with time_machine.travel(NOW, tick=False):
        html = client.get("/board/sanmin/social").get_data(as_text=True)
    # A meta refresh cannot be paused (WCAG 2.2.1): a static script reloads the screen instead.
    assert "http-equiv" not in html
    assert 'data-refresh-seconds="60"' in html
    assert '<script src="/static/refresh.js" defer></script>' in html
    # Without JavaScript: when it was updated, in Taipei time, and a link to reload it.
    assert "更新時間 115年4月13日 10:00" in html
    assert 'href="/board/sanmin/social"' in html


def test_the_refresh_interval_is_configurable(app: Flask, client: FlaskClient) -> None:
    app.config["BOARD_REFRESH_SECONDS"] = 30
    html = client.get("/board/sanmin/social").get_data(as_text=True)
    assert 'data-refresh-seconds="30"' in html


def test_ready_cases_leave_the_board_after_two_weeks(app: Flask, client: FlaskClient) -> None:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session)
        closing.complete(session, case.id, actor="clerk:test", now=NOW + timedelta(hours=1))
        number = case.number
    with time_machine.travel(NOW + timedelta(days=15), tick=False):
        html = client.get("/board/sanmin/social").get_data(as_text=True)
    assert number[4:] not in html
    assert "目前沒有" in html


def test_an_unknown_office_or_section_is_not_found(client: FlaskClient) -> None:
    assert client.get("/board/sanmin/nowhere").status_code == 404
    assert client.get("/board/nowhere/social").status_code == 404
    assert client.get("/board/yanchao/civil").status_code == 404
    assert client.get("/board/yanchao/social").status_code == 200
