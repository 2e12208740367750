"""The embedded default channel: always delivers, logs the reference and nothing personal."""

from __future__ import annotations

import logging

import pytest

from notifications.channels.base import EmailChannel, SmsChannel
from notifications.channels.local_outbox import LocalOutbox

PHONE = "+886912345678"
EMAIL = "wang.xiaoming@example.org"
BODY = "【三民區公所】收件確認：案號20260413-0001，查詢碼7KQ3M-X9PHT"


def test_sms_is_delivered_to_the_outbox(caplog: pytest.LogCaptureFixture) -> None:
    outbox = LocalOutbox()
    assert isinstance(outbox, SmsChannel)
    with caplog.at_level(logging.INFO, logger="notifications.channels.local_outbox"):
        result = outbox.send_sms(PHONE, BODY, reference="notice-42")
    assert (result.provider_id, result.status) == ("outbox-notice-42", "delivered")
    [record] = caplog.records
    line = record.getMessage()
    assert "notice-42" in line
    for personal in (PHONE, "912345678", BODY, "7KQ3M"):
        assert personal not in line


def test_email_is_delivered_to_the_outbox(caplog: pytest.LogCaptureFixture) -> None:
    outbox = LocalOutbox()
    assert isinstance(outbox, EmailChannel)
    with caplog.at_level(logging.INFO, logger="notifications.channels.local_outbox"):
        result = outbox.send_email(EMAIL, "收件確認", BODY, "<p>x</p>", reference="notice-43")
    assert (result.provider_id, result.status) == ("outbox-notice-43", "delivered")
    [record] = caplog.records
    assert "notice-43" in record.getMessage()
    assert EMAIL not in record.getMessage() and "收件確認" not in record.getMessage()
