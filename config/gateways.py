"""The settings of the gateways beyond Twilio and SMTP: which SMS gateway, 三竹 Mitake, LINE.

Read by ``config.settings.load_settings``, which adds what these return to ``Settings`` and
reports their problems with every other one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

SMS_PROVIDERS = ("twilio", "mitake")
# The vendor's documented address for SmSend (三竹 "smsapi"); an office with a B2C account uses
# https://smsb2c.mitake.com.tw/b2c/mtk instead (docs/operations.md).
DEFAULT_MITAKE_API_BASE = "https://smsapi.mitake.com.tw/api/mtk"
DEFAULT_LINE_API_BASE = "https://api.line.me"


MITAKE_CALLBACK_PREFIX = "/webhooks/mitake/"


def mitake_callback_secret(secret_key: str) -> str:
    """The secret in the path of Mitake's delivery reports (Mitake cannot sign its requests).

    Made from SECRET_KEY, so it needs no setting of its own; changing SECRET_KEY changes it, and
    reports of messages sent before then are refused (their notices stay "sent").
    """
    digest = hmac.new(secret_key.encode(), b"mitake-delivery-reports", hashlib.sha256)
    return digest.hexdigest()[:32]


def mitake_callback_url(public_base_url: str, secret_key: str) -> str:
    """Where Mitake sends a message's delivery reports (SmSend's ``response``)."""
    return f"{public_base_url}{MITAKE_CALLBACK_PREFIX}{mitake_callback_secret(secret_key)}"


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def gateway_settings(
    get: Callable[[str], str | None], problems: list[str], *, twilio_configured: bool
) -> dict[str, Any]:
    """``SMS_PROVIDER``, ``MITAKE_*`` and ``LINE_*``, checked; problems appended to ``problems``."""
    username, password = get("MITAKE_USERNAME"), get("MITAKE_PASSWORD")
    mitake_configured = bool(username or password)
    if mitake_configured and not (username and password):
        problems.append("MITAKE_USERNAME and MITAKE_PASSWORD must be set together")
    mitake_base = (get("MITAKE_API_BASE") or DEFAULT_MITAKE_API_BASE).rstrip("/")
    if not _is_http(mitake_base):
        problems.append("MITAKE_API_BASE: must be an http:// or https:// address")

    provider = (get("SMS_PROVIDER") or "").lower() or None
    if provider is not None and provider not in SMS_PROVIDERS:
        problems.append(f"SMS_PROVIDER: '{provider}' is not one of {', '.join(SMS_PROVIDERS)}")
    elif provider == "mitake" and not mitake_configured:
        problems.append("SMS_PROVIDER=mitake needs MITAKE_USERNAME and MITAKE_PASSWORD")
    elif provider == "twilio" and not twilio_configured:
        problems.append("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    elif provider is None and mitake_configured and twilio_configured:
        problems.append("SMS_PROVIDER: both Twilio and Mitake are configured; say which sends SMS")
    elif provider is None:
        # The default is whichever gateway is configured; neither: the local outbox.
        provider = "mitake" if mitake_configured else "twilio" if twilio_configured else None

    secret, token = get("LINE_CHANNEL_SECRET"), get("LINE_CHANNEL_ACCESS_TOKEN")
    if bool(secret) != bool(token):
        problems.append("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN must be set together")
    line_base = (get("LINE_API_BASE") or DEFAULT_LINE_API_BASE).rstrip("/")
    if not _is_http(line_base):
        problems.append("LINE_API_BASE: must be an http:// or https:// address")
    add_friend = get("LINE_ADD_FRIEND_URL")
    if add_friend and not _is_http(add_friend):
        problems.append(
            "LINE_ADD_FRIEND_URL: must be an https:// address (https://line.me/R/ti/p/@...)"
        )

    return {
        "sms_provider": provider,
        "mitake_username": username,
        "mitake_password": password,
        "mitake_api_base": mitake_base,
        "line_channel_secret": secret,
        "line_channel_access_token": token,
        "line_api_base": line_base,
        "line_add_friend_url": add_friend,
    }
