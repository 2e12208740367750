"""The status page offers LINE: a page with the case's one-time code and the way to the account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.support.line_standin import new_user_id
from tests.web.conftest import make_app
from tests.web.public.test_status import _file, _lookup
from tracker.cases.line_binding import format_code, on_text
from tracker.db import Database
from tracker.identifiers import format_lookup_code
from tracker.models import Case, LineBinding

ADD_FRIEND = "https://line.me/R/ti/p/@kcgsanmin"


@pytest.fixture
def app(catalogue_db: Database, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(
        catalogue_db,
        tmp_path,
        LINE_CHANNEL_SECRET="secret",
        LINE_CHANNEL_ACCESS_TOKEN="token",
        LINE_ADD_FRIEND_URL=ADD_FRIEND,
    )
    yield app
    app.extensions["database"].dispose()


def _looked_up(app: Flask, client: FlaskClient) -> int:
    case_id, number, code = _file(app)
    assert _lookup(client, number, format_lookup_code(code)).status_code == 303
    return case_id


def test_the_case_page_links_to_line(app: Flask, client: FlaskClient) -> None:
    _looked_up(app, client)
    html = client.get("/status/case").get_data(as_text=True)
    assert "/status/line" in html
    assert "用 LINE 接收通知" in html


def test_the_line_page_gives_the_code_and_a_link_that_sends_it(
    app: Flask, client: FlaskClient, catalogue_db: Database
) -> None:
    _looked_up(app, client)
    response = client.get("/status/line")
    html = response.get_data(as_text=True)
    with catalogue_db.transaction() as s:
        code = format_code(s.scalars(select(LineBinding.code)).one() or "")
    assert code in html
    assert f"https://line.me/R/oaMessage/%40kcgsanmin/?{code}" in html
    assert ADD_FRIEND in html
    assert response.headers["Cache-Control"] == "no-store"


def test_a_bound_case_says_so_and_shows_no_code(
    app: Flask, client: FlaskClient, catalogue_db: Database
) -> None:
    case_id = _looked_up(app, client)
    client.get("/status/line")
    user = new_user_id()
    with catalogue_db.transaction() as s:
        code = s.scalars(select(LineBinding.code)).one() or ""
        on_text(s, user, code, event_id="e1", now=s.get_one(Case, case_id).received_at)
        on_text(s, user, "確認", event_id="e2", now=s.get_one(Case, case_id).received_at)
    html = client.get("/status/line").get_data(as_text=True)
    assert "本案通知將以 LINE 傳送給您" in html
    assert format_code(code) not in html


def test_without_a_lookup_the_line_page_sends_back_to_the_form(client: FlaskClient) -> None:
    response = client.get("/status/line")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/status")


def test_without_line_settings_there_is_no_link(catalogue_db: Database, tmp_path: Path) -> None:
    app = make_app(catalogue_db, tmp_path)
    client = app.test_client()
    _looked_up(app, client)
    assert "/status/line" not in client.get("/status/case").get_data(as_text=True)
    app.extensions["database"].dispose()
