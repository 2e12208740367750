"""The case page tells the clerk why an SMS has not gone: no provider is configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from notifications.channels import channels_from_settings
from notifications.dispatch import Dispatcher
from tests.web.counter.conftest import Console, file_social_case
from tracker.db import Database


def test_a_waiting_sms_says_why_in_both_languages(
    app: Flask, clerk: Console, catalogue_db: Database
) -> None:
    settings = app.config["SETTINGS"]
    assert settings.sms_waits  # the console's tests configure no SMS provider
    number = file_social_case(catalogue_db).number
    # Tomorrow 12:00 in Taipei: after the filing, outside quiet hours.
    noon = (datetime.now(UTC) + timedelta(days=1)).replace(hour=4, minute=0)
    dispatcher = Dispatcher(
        catalogue_db, channels_from_settings(settings), settings, clock=lambda: noon
    )
    assert dispatcher.dispatch_once().outcomes.get("no_provider") == 1
    page = clerk.get(f"/counter/cases/{number}").text
    assert "Waiting: no SMS provider is configured; it goes out once one is." in page
    clerk.client.set_cookie("lang", "zh-TW")
    assert (
        "等待中：尚未設定簡訊服務業者，設定後即會發送。"
        in clerk.get(f"/counter/cases/{number}").text
    )
