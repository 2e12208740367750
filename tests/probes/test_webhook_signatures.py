"""Probe: /webhooks/twilio/status takes only what Twilio signed for this address.

Forged callbacks (no signature, a wrong one, one for another address, another account's, one
over other values) are refused with 403 and leave every notice row as it was, so nobody can mark
an SMS delivered or, with "undelivered", set off an email fallback. The genuine one is taken.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.factories import create_case
from tests.web.conftest import make_app
from tracker.db import Database
from tracker.models import Notice

TOKEN = "probe-auth-token"
URL = "http://localhost/webhooks/twilio/status"
SID = "SM" + "b" * 32


@pytest.fixture
def twilio_app(catalogue_db: Database, tmp_path: Path) -> Iterator[Flask]:
    """The app with Twilio configured, so the webhook exists."""
    app = make_app(
        catalogue_db,
        tmp_path,
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_FROM="+15005550006",
    )
    yield app
    app.extensions["database"].dispose()


def _sent_sms(database: Database) -> int:
    """An SMS notice Twilio has accepted, with an email to fall back on."""
    with database.transaction() as session:
        case = create_case(session, email="wang@example.org", notify_by="sms")
        notice = session.scalar(
            select(Notice).where(Notice.case_id == case.id, Notice.channel == "sms")
        )
        assert notice is not None
        notice.status, notice.provider_id, notice.provider_status = "sent", SID, "queued"
        return notice.id


def _notices(database: Database) -> list[tuple[object, ...]]:
    with database.transaction() as session:
        return [tuple(row) for row in session.execute(select(Notice.__table__).order_by("id"))]


def _sign(form: dict[str, str], url: str = URL, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def test_forged_callbacks_are_refused_and_change_no_notice(
    twilio_app: Flask, catalogue_db: Database
) -> None:
    notice_id = _sent_sms(catalogue_db)
    client = twilio_app.test_client()
    form = {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    right = _sign(form)
    forgeries = {
        "no signature": None,
        "empty": "",
        "random": base64.b64encode(b"\x00" * 20).decode(),
        "for another host": _sign(form, "https://attacker.example/webhooks/twilio/status"),
        "for another path": _sign(form, "http://localhost/webhooks/twilio/other"),
        "for another query": _sign(form, URL + "?retry=1"),
        "another account's": _sign(form, token="someone-elses-token"),
        "over other values": _sign({**form, "MessageStatus": "queued"}),
        "the right one, cut short": right[:-4],
    }
    before = _notices(catalogue_db)
    for name, signature in forgeries.items():
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        response = client.post("/webhooks/twilio/status", data=form, headers=headers)
        assert response.status_code == 403, name
    # A genuine signature does not cover a value added to the form after signing.
    tampered = {**form, "MessageSid": "SM" + "c" * 32}
    response = client.post(
        "/webhooks/twilio/status", data=tampered, headers={"X-Twilio-Signature": right}
    )
    assert response.status_code == 403
    assert _notices(catalogue_db) == before  # nothing marked, no email fallback written

    genuine = client.post(
        "/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": right}
    )
    assert genuine.status_code == 204
    after = {row[0]: row for row in _notices(catalogue_db)}
    assert after != {row[0]: row for row in before}
    with catalogue_db.transaction() as session:
        notice = session.get(Notice, notice_id)
        assert notice is not None and notice.status == "failed"  # and the fallback follows
        assert session.scalar(select(Notice).where(Notice.channel == "email")) is not None
