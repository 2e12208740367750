"""LINE push messages through the official SDK (``line-bot-sdk`` v3), errors classified.

``POST {LINE_API_BASE}/v2/bot/message/push`` with the channel access token as a bearer token and
an ``X-Line-Retry-Key`` (a UUID) made from the notice's dedupe key: LINE runs a request with a
given key once, and answers a repeat with 409 and the id of the request it accepted
(``x-line-accepted-request-id``). A push retried after a timeout or a 5xx, or by another worker
after a crash, is therefore never delivered twice; we record the 409 as the push it repeats.
LINE keeps retry keys for 24 hours, longer than a notice's retries (about four hours).

LINE reports no delivery: an accepted push is ``sent`` for good. A 400 (the user id is not a
friend of the account, or not a user at all) is permanent: the case falls back to SMS.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException

from notifications.channels.base import (
    PermanentSendError,
    SendError,
    SendResult,
    TransientSendError,
    redact,
)

log = logging.getLogger(__name__)

RETRY_KEY_NAMESPACE = uuid.UUID("0b8e2f4a-39c1-4e7d-a2b6-6d54c7e19f30")
# Transport failures after which LINE may have taken the push (not a refused connection).
_MAYBE_SENT = (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError)
# A LINE text message holds at most 5,000 characters.
MAX_TEXT = 5000


def retry_key(dedupe_key: str) -> str:
    """The ``X-Line-Retry-Key`` of a notice: a UUID, the same for every try of that notice."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, dedupe_key))


class LinePush:
    """Pushes text to LINE users; raises Transient/PermanentSendError on failure."""

    name = "line"

    def __init__(self, access_token: str, *, api_base: str, timeout: float = 10) -> None:
        configuration = Configuration(host=api_base.rstrip("/"), access_token=access_token)
        # No retries inside the SDK: the dispatcher retries, with the same retry key.
        configuration.retries = 0
        # As many pooled connections as the dispatcher has sending threads.
        configuration.connection_pool_maxsize = 16
        self._client = ApiClient(configuration)
        self._api = MessagingApi(self._client)
        self._timeout = timeout

    def push_line(self, to: str, text: str, *, reference: str, dedupe_key: str) -> SendResult:
        """Push one text message; a repeat of an accepted push is reported as that push."""
        request = PushMessageRequest(to=to, messages=[TextMessage(text=text[:MAX_TEXT])])
        try:
            response = self._api.push_message_with_http_info(
                request, x_line_retry_key=retry_key(dedupe_key), _request_timeout=self._timeout
            )
        except ApiException as exc:
            if exc.status == 409:
                log.warning("notice %s: LINE had already accepted it (retry key)", reference)
                return _accepted_before(exc)
            raise classify_line_error(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _transport_error(exc) from exc
        sent = response.data.sent_messages if response.data is not None else []
        message_id = sent[0].id if sent else _header(response.headers, "x-line-request-id")
        return SendResult(provider_id=str(message_id or ""), status="accepted")

    def close_idle(self) -> None:
        """Nothing to close: the SDK's connection pool is reused for the process's life."""


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name:
            return str(value)
    return None


def _body(exc: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(exc.body or b"{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _accepted_before(exc: ApiException) -> SendResult:
    """A 409 for our retry key: the push was accepted by an earlier try."""
    sent = _body(exc).get("sentMessages") or []
    message_id = sent[0].get("id") if sent and isinstance(sent[0], dict) else None
    accepted = _header(exc.headers, "x-line-accepted-request-id")
    return SendResult(provider_id=str(message_id or accepted or ""), status="accepted")


def classify_line_error(exc: ApiException) -> SendError:
    """An error answer from LINE as Transient (retry) or Permanent (fall back to SMS)."""
    status = int(exc.status or 0)
    message = redact(str(_body(exc).get("message") or exc.reason or "")).strip()
    if status in (401, 403):
        return TransientSendError(
            f"LINE refused our channel access token (HTTP {status}); check "
            f"LINE_CHANNEL_ACCESS_TOKEN: {message}"
        )
    if status == 429 or status >= 500 or status == 0:
        # A 5xx may come after LINE took the message: the retry key keeps the retry single.
        return TransientSendError(f"LINE HTTP {status}: {message}", maybe_sent=status >= 500)
    return PermanentSendError(f"line-{status}", message or "LINE refused the message")


def _transport_error(exc: urllib3.exceptions.HTTPError) -> TransientSendError:
    reason = getattr(exc, "reason", None) or exc
    # A read timeout or a connection cut after the request went out: LINE may have it.
    maybe = isinstance(reason, _MAYBE_SENT)
    return TransientSendError(f"cannot reach LINE: {type(reason).__name__}", maybe_sent=maybe)
