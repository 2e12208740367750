"""Twilio status callbacks: signed, idempotent, final states kept, behind a proxy too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from config import load_settings
from tests.factories import create_case
from tracker.db import Database
from tracker.models import Notice
from web import create_app

TOKEN = "test-auth-token"
URL = "http://localhost/webhooks/twilio/status"


@pytest.fixture
def app(catalogue_db: Database, tmp_path: Path) -> Iterator[Flask]:
    settings = load_settings(
        {
            "TRACKER_INSTANCE": str(tmp_path),
            "DATABASE_URL": catalogue_db.url,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM": "+15005550006",
            "SECRET_KEY": "twilio-tests-" + "t" * 40,
            # Twilio signed the proxy's address: the app sits behind one.
            "TRUSTED_PROXIES": "1",
        }
    )
    app = create_app(settings)
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _sent_sms(db: Database, sid: str = "SM" + "a" * 32, **fields: object) -> int:
    with db.transaction() as s:
        case = create_case(s, **fields)
        notice = s.scalar(select(Notice).where(Notice.case_id == case.id, Notice.channel == "sms"))
        assert notice is not None
        notice.status, notice.provider_id, notice.provider_status = "sent", sid, "queued"
        return notice.id


def _post(client: FlaskClient, form: dict[str, str], url: str = URL, **headers: str):  # type: ignore[no-untyped-def]
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    return client.post(
        url.replace("http://localhost", ""),
        data=form,
        headers={"X-Twilio-Signature": signature, **headers},
    )


def _notice(db: Database, notice_id: int) -> Notice:
    with db.transaction() as s:
        notice = s.get(Notice, notice_id)
        assert notice is not None
        return notice


def test_a_signed_callback_records_delivery(client: FlaskClient, catalogue_db: Database) -> None:
    notice_id = _sent_sms(catalogue_db)
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
    assert _post(client, form).status_code == 204
    assert _post(client, form).status_code == 204  # Twilio retries: harmless
    notice = _notice(catalogue_db, notice_id)
    assert (notice.status, notice.provider_status) == ("delivered", "delivered")


def test_a_bad_or_missing_signature_is_refused(client: FlaskClient, catalogue_db: Database) -> None:
    notice_id = _sent_sms(catalogue_db)
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
    assert client.post("/webhooks/twilio/status", data=form).status_code == 403
    forged = client.post(
        "/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}
    )
    assert forged.status_code == 403
    assert _notice(catalogue_db, notice_id).status == "sent"


def test_final_states_are_never_overwritten(client: FlaskClient, catalogue_db: Database) -> None:
    notice_id = _sent_sms(catalogue_db)
    sid = "SM" + "a" * 32
    _post(client, {"MessageSid": sid, "MessageStatus": "delivered"})
    _post(client, {"MessageSid": sid, "MessageStatus": "sent"})  # late and out of order
    _post(client, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    notice = _notice(catalogue_db, notice_id)
    assert (notice.status, notice.provider_status) == ("delivered", "delivered")


def test_undelivered_falls_back_to_email(client: FlaskClient, catalogue_db: Database) -> None:
    _sent_sms(catalogue_db, email="wang@example.org", notify_by="sms")
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "undelivered", "ErrorCode": "30006"}
    assert _post(client, form).status_code == 204
    with catalogue_db.transaction() as s:
        rows = s.scalars(select(Notice).order_by(Notice.id)).all()
        assert [(n.channel, n.status) for n in rows] == [("sms", "failed"), ("email", "pending")]
        assert "30006" in (rows[0].error or "")


def test_behind_a_proxy_the_public_url_is_what_was_signed(
    client: FlaskClient, catalogue_db: Database
) -> None:
    notice_id = _sent_sms(catalogue_db)
    public = "https://casetrack.kcg.gov.tw/webhooks/twilio/status"
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
    signature = RequestValidator(TOKEN).compute_signature(public, form)
    response = client.post(
        "/webhooks/twilio/status",
        data=form,
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "casetrack.kcg.gov.tw",
        },
    )
    assert response.status_code == 204
    assert _notice(catalogue_db, notice_id).status == "delivered"


def test_unknown_messages_and_bad_forms(client: FlaskClient) -> None:
    assert (
        _post(client, {"MessageSid": "SMunknown", "MessageStatus": "delivered"}).status_code == 204
    )
    assert _post(client, {"MessageStatus": "delivered"}).status_code == 400


def test_without_twilio_there_is_no_webhook(catalogue_db: Database, tmp_path: Path) -> None:
    app = create_app(
        load_settings(
            {
                "TRACKER_INSTANCE": str(tmp_path),
                "DATABASE_URL": catalogue_db.url,
                "SECRET_KEY": "twilio-tests-" + "t" * 40,
            }
        )
    )
    assert app.test_client().post("/webhooks/twilio/status").status_code == 404
    app.extensions["database"].dispose()
