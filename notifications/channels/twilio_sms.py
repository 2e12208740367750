"""SMS through Twilio's Messages API, with the official SDK, and its errors classified."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.utils import get_environ_proxies
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifications.channels.base import (
    PermanentSendError,
    SendError,
    SendResult,
    TransientSendError,
    redact,
)

# Twilio error codes that say this number can never receive from us; see
# https://www.twilio.com/docs/api/errors. Any other 4xx (except 401/403/429) is permanent too:
# these are named so the reason is readable in the clerk's view.
PERMANENT_CODES: dict[int, str] = {
    21211: "invalid 'To' phone number",
    21610: "the recipient has replied STOP (unsubscribed)",
    21614: "'To' number is not a mobile number",
    21612: "Twilio cannot route to this number",
    21408: "sending to this region is not enabled on the Twilio account",
}


class _RoutedClient(Client):
    """A Twilio client that sends every request to ``api_base`` instead of twilio.com."""

    def __init__(
        self, username: str, password: str, *, http_client: HttpClient, api_base: str
    ) -> None:
        super().__init__(username, password, http_client=http_client)
        base = urlsplit(api_base)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"api_base must be an http(s) address, not '{api_base}'")
        self._base = base

    def get_hostname(self, uri: str) -> str:
        """The SDK's absolute URI with scheme and host (and any path prefix) from ``api_base``."""
        target = urlsplit(super().get_hostname(uri))
        path = self._base.path.rstrip("/") + target.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, target.query, ""))


CLOCK_TOLERANCE = timedelta(minutes=5)


class TwilioSms:
    """Sends SMS with ``twilio.rest.Client``; raises Transient/PermanentSendError on failure."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        api_base: str | None = None,
        timeout: float = 10,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("TwilioSms needs from_number or messaging_service_sid")
        self._from = from_number
        self._service_sid = messaging_service_sid
        self._status_callback = status_callback
        # Without a timeout, a hung connection would hold a worker for ever.
        http_client = _http_client(api_base or "https://api.twilio.com", timeout)
        if api_base:
            self.client: Client = _RoutedClient(
                account_sid, auth_token, http_client=http_client, api_base=api_base
            )
        else:
            self.client = Client(account_sid, auth_token, http_client=http_client)

    def send_sms(
        self, to: str, body: str, *, reference: str, dedupe_key: str | None = None
    ) -> SendResult:
        """Hand one SMS to Twilio; ``reference`` and ``dedupe_key`` are not sent (Twilio's
        Messages API takes no idempotency key: ``find_sent`` covers a resend instead)."""
        # Both may be set: Twilio then sends from ``From`` within the Messaging Service.
        kwargs: dict[str, str] = {}
        if self._from:
            kwargs["from_"] = self._from
        if self._service_sid:
            kwargs["messaging_service_sid"] = self._service_sid
        if self._status_callback:
            kwargs["status_callback"] = self._status_callback
        try:
            message = self.client.messages.create(to=to, body=body, **kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise classify_twilio_error(exc) from exc
        except requests.Timeout as exc:
            # Twilio may have accepted it before the answer was lost: a retry can duplicate the
            # SMS. A rare duplicate beats a notice that never arrives.
            raise TransientSendError(
                f"Twilio timed out: {type(exc).__name__}", maybe_sent=True
            ) from exc
        except requests.RequestException as exc:
            raise TransientSendError(f"cannot reach Twilio: {type(exc).__name__}") from exc
        except (TwilioException, ValueError) as exc:
            # E.g. a 2xx answer whose body is not JSON: a broken proxy, worth another try.
            raise TransientSendError(f"unexpected answer from Twilio: {redact(str(exc))}") from exc
        return SendResult(provider_id=str(message.sid), status=str(message.status or "queued"))

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """A message with this body Twilio accepted for ``to`` since ``since``, if there is one.

        Before re-sending an SMS whose previous attempt may have gone through (a timeout, a
        worker killed mid-send), the dispatcher asks Twilio: this is what keeps that crash window
        from becoming a duplicate SMS.
        """
        # Twilio's dates have whole seconds and its clock is not ours: allow for both. No earlier
        # message can have this exact body, which names the case and the notice.
        earliest = since - CLOCK_TOLERANCE
        try:
            # Newest first, page by page, only back to when the notice was written.
            for message in self.client.messages.stream(to=to, page_size=100):
                created = _created(message)
                if created is not None and created < earliest:
                    break
                if message.body == body:
                    return SendResult(provider_id=str(message.sid), status=str(message.status))
        except (TwilioRestException, TwilioServiceException) as exc:
            raise classify_twilio_error(exc) from exc
        except requests.RequestException as exc:
            raise TransientSendError(f"cannot reach Twilio: {type(exc).__name__}") from exc
        return None

    def close_idle(self) -> None:
        """Nothing to close: the SDK's HTTP session is reused for the process's life."""


def _http_client(base_url: str, timeout: float) -> TwilioHttpClient:
    """The SDK's HTTP client, with the environment's proxy and CA settings read once.

    requests reads them again for every message (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE):
    a twentieth of a dispatch worker's time. They do not change while a worker runs.
    """
    http_client = TwilioHttpClient(timeout=timeout, proxy=get_environ_proxies(base_url))
    assert http_client.session is not None  # pool_connections=True, the default
    http_client.session.trust_env = False
    http_client.session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    return http_client


def _created(message: Any) -> datetime | None:
    created = getattr(message, "date_created", None)
    return created if isinstance(created, datetime) else None


def classify_twilio_error(exc: TwilioRestException | TwilioServiceException) -> SendError:
    """An error answer from Twilio as Transient (retry) or Permanent (never retry)."""
    status = int(exc.status or 0)
    code = exc.code if isinstance(exc.code, int) else status
    message = exc.msg if isinstance(exc, TwilioRestException) else (exc.detail or exc.title)
    # Twilio's messages quote the number ("The 'To' number +886... is not valid").
    detail = redact(str(message or "")).strip()
    if status == 429 or status >= 500:
        return TransientSendError(f"Twilio HTTP {status} (code {code}): {detail}")
    if status in (401, 403):
        # Wrong credentials or a suspended account: a configuration problem, not this message's
        # fault. Transient, so the notice waits for the fix instead of being given up.
        return TransientSendError(
            f"Twilio refused our credentials (HTTP {status}, code {code}); check "
            f"TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: {detail}"
        )
    if 400 <= status < 500:
        known = PERMANENT_CODES.get(code)
        return PermanentSendError(code, f"{known} ({detail})" if known else detail)
    return TransientSendError(f"Twilio HTTP {status} (code {code}): {detail}")
