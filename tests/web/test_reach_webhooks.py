"""Callbacks from 三竹 Mitake (a secret in the path) and LINE (X-Line-Signature), per backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config.gateways import mitake_callback_secret
from tests.factories import create_case
from tests.support.line_standin import CHANNEL_SECRET, LineStandin, new_user_id, sign
from tests.web.conftest import make_app
from tracker.cases.line_binding import line_offer
from tracker.db import Database
from tracker.models import Case, LineBinding, Notice

SECRET_KEY = "web-tests-" + "s" * 40
REPORT = f"/webhooks/mitake/{mitake_callback_secret(SECRET_KEY)}"


@pytest.fixture
def app(catalogue_db: Database, tmp_path: Path) -> Iterator[Flask]:
    """The app with Mitake as the SMS gateway and LINE configured."""
    app = make_app(
        catalogue_db,
        tmp_path,
        MITAKE_USERNAME="u",
        MITAKE_PASSWORD="p",
        LINE_CHANNEL_SECRET=CHANNEL_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="token",
    )
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _sent_sms(db: Database, msgid: str = "0000000013", **fields: object) -> int:
    with db.transaction() as s:
        case = create_case(s, **fields)
        notice = s.scalar(select(Notice).where(Notice.case_id == case.id, Notice.channel == "sms"))
        assert notice is not None
        notice.status, notice.provider_id, notice.provider_status = "sent", msgid, "sent"
        return notice.id


def _report(client: FlaskClient, flag: str, msgid: str = "0000000013", path: str = REPORT):  # type: ignore[no-untyped-def]
    words = {"4": "DELIVRD", "6": "UNDELIV", "1": "UNKNOWN"}
    query = {
        "msgid": msgid,
        "dstaddr": "0912345678",
        "dlvtime": "20260413120000",
        "donetime": "20260413120005",
        "statuscode": "0",
        "statusstr": words[flag],
        "StatusFlag": flag,
    }
    return client.get(path, query_string=query)


def _notice(db: Database, notice_id: int) -> Notice:
    with db.transaction() as s:
        notice = s.get_one(Notice, notice_id)
        s.expunge(notice)
        return notice


def test_a_delivery_report_is_acknowledged_as_mitake_asks(
    client: FlaskClient, catalogue_db: Database
) -> None:
    notice_id = _sent_sms(catalogue_db)
    response = _report(client, "4")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "magicid=sms_gateway_rpack\nmsgid=0000000013\n"
    assert response.mimetype == "text/plain"
    assert _notice(catalogue_db, notice_id).status == "delivered"


def test_a_final_report_is_never_overwritten(client: FlaskClient, catalogue_db: Database) -> None:
    notice_id = _sent_sms(catalogue_db)
    _report(client, "4")
    _report(client, "1")  # a late "handed to the carrier"
    _report(client, "6")  # and a contradicting retry
    notice = _notice(catalogue_db, notice_id)
    assert (notice.status, notice.provider_status) == ("delivered", "mitake-4")


def test_an_undelivered_sms_falls_back_to_email(
    client: FlaskClient, catalogue_db: Database
) -> None:
    notice_id = _sent_sms(catalogue_db, email="wang@example.org", notify_by="sms")
    _report(client, "6")
    assert _notice(catalogue_db, notice_id).status == "failed"
    with catalogue_db.transaction() as s:
        channels = s.scalars(select(Notice.channel).order_by(Notice.id)).all()
    assert channels == ["sms", "email"]


def test_a_wrong_secret_is_not_found_and_changes_nothing(
    client: FlaskClient, catalogue_db: Database
) -> None:
    notice_id = _sent_sms(catalogue_db)
    assert _report(client, "4", path="/webhooks/mitake/guess").status_code == 404
    assert _notice(catalogue_db, notice_id).status == "sent"


def test_a_report_without_msgid_is_refused(client: FlaskClient) -> None:
    assert client.get(REPORT, query_string={"StatusFlag": "4"}).status_code == 400


def test_an_unknown_message_is_acknowledged_so_mitake_stops(client: FlaskClient) -> None:
    response = _report(client, "4", msgid="9999999999")
    assert response.get_data(as_text=True) == "magicid=sms_gateway_rpack\nmsgid=9999999999\n"


def test_mitake_reports_are_not_found_when_mitake_is_not_the_gateway(
    catalogue_db: Database, tmp_path: Path
) -> None:
    app = make_app(catalogue_db, tmp_path)
    assert _report(app.test_client(), "4").status_code == 404
    app.extensions["database"].dispose()


def _line_post(client: FlaskClient, body: bytes, signature: str | None):  # type: ignore[no-untyped-def]
    headers = {"X-Line-Signature": signature} if signature is not None else {}
    return client.post(
        "/webhooks/line", data=body, headers=headers, content_type="application/json"
    )


def _events(*events: dict) -> bytes:
    return json.dumps({"destination": "U" + "0" * 32, "events": list(events)}).encode()


def test_a_signed_code_message_starts_a_binding(
    client: FlaskClient, catalogue_db: Database
) -> None:
    with catalogue_db.transaction() as s:
        case = create_case(s)
        offer = line_offer(s, case, case.received_at)
        assert offer is not None
        code = offer.code
    user = new_user_id()
    body = _events(LineStandin().event("message", user, str(code)))
    assert _line_post(client, body, sign(CHANNEL_SECRET, body)).status_code == 200
    with catalogue_db.transaction() as s:
        binding = s.scalars(select(LineBinding)).one()
        assert (binding.state, binding.line_user_id) == ("pending", user)


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_an_unsigned_or_badly_signed_request_is_refused(
    client: FlaskClient, catalogue_db: Database, signature: str | None
) -> None:
    body = _events(LineStandin().event("message", new_user_id(), "確認"))
    assert _line_post(client, body, signature).status_code == 403
    with catalogue_db.transaction() as s:
        assert s.scalars(select(Notice)).all() == []


def test_lines_verification_request_gets_200(client: FlaskClient) -> None:
    body = _events()
    assert _line_post(client, body, sign(CHANNEL_SECRET, body)).status_code == 200


def test_a_signed_body_that_is_not_json_is_a_bad_request(client: FlaskClient) -> None:
    body = b"not json"
    assert _line_post(client, body, sign(CHANNEL_SECRET, body)).status_code == 400


def test_an_unfollow_ends_the_users_bindings(client: FlaskClient, catalogue_db: Database) -> None:
    user = new_user_id()
    with catalogue_db.transaction() as s:
        case = create_case(s)
        s.add(LineBinding(case_id=case.id, state="bound", line_user_id=user,
                          updated_at=case.received_at))  # fmt: skip
        case.applicant_line_id = user
    body = _events(LineStandin().event("unfollow", user))
    assert _line_post(client, body, sign(CHANNEL_SECRET, body)).status_code == 200
    with catalogue_db.transaction() as s:
        assert s.scalars(select(Case.applicant_line_id)).one() is None


def test_line_events_are_not_found_when_line_is_not_configured(
    catalogue_db: Database, tmp_path: Path
) -> None:
    app = make_app(catalogue_db, tmp_path)
    body = _events()
    assert _line_post(app.test_client(), body, sign(CHANNEL_SECRET, body)).status_code == 404
    app.extensions["database"].dispose()
