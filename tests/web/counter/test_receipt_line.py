"""The receipt offers LINE: the case's one-time code and a QR code that sends it."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from sqlalchemy import select

from tests.web.counter.conftest import Console, file_social_case
from tracker.db import Database
from tracker.models import LineBinding

ADD_FRIEND = "https://line.me/R/ti/p/@kcgsanmin"


@pytest.fixture
def app(app: Flask) -> Flask:
    """The console's app with LINE configured."""
    app.config["SETTINGS"] = dataclasses.replace(
        app.config["SETTINGS"],
        line_channel_secret="secret",
        line_channel_access_token="token",
        line_add_friend_url=ADD_FRIEND,
    )
    return app


def test_the_receipt_prints_the_line_code_and_its_qr_code(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    html = clerk.get(f"/counter/cases/{case.number}/receipt").get_data(as_text=True)
    with catalogue_db.transaction() as s:
        code = s.scalars(select(LineBinding.code)).one()
    assert code is not None
    assert f"{code[:4]}-{code[4:]}" in html
    assert "receipt__line" in html
    assert html.count("<svg") == 2  # the status QR code and the LINE one
