"""A stand-in for the LINE Messaging API: a real HTTP server on loopback, and LINE's webhook.

It answers ``POST /v2/bot/message/push`` as LINE documents it:

- ``Authorization: Bearer <channel access token>``, else 401;
- a JSON body ``{"to": "U…", "messages": [{"type": "text", "text": …}]}``: 1 to 5 messages, a
  text of at most 5,000 characters, ``to`` a user id (``U`` and 32 hex digits), else 400 with
  ``{"message": …, "details": [{"message", "property"}]}``;
- ``X-Line-Retry-Key`` (a UUID, else 400): a key whose request was accepted is answered 409
  ``{"message": "The retry key is already accepted", "sentMessages": […]}`` with
  ``x-line-accepted-request-id``, and nothing is sent again;
- 200 ``{"sentMessages": [{"id", "quoteToken"}]}`` with ``x-line-request-id``. A push to a user
  who blocked the account is accepted (200) and not delivered, as LINE says.

It plays the other direction too: ``send_events(url, …)`` POSTs webhook events (``follow``,
``unfollow``, a text ``message``) signed as LINE signs them (``X-Line-Signature``: Base64 of the
HMAC-SHA256 of the body under the channel secret), with ``webhookEventId`` and
``deliveryContext.isRedelivery``. Faults: ``script`` and ``set_failure_rates``
(tests/support/http_standin.py; an ``error`` fault's code is the HTTP status: ``500``, ``429``
"monthly limit", ``400``). Run alone: ``python -m tests.support.line_standin --port 8097``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tests.support.http_standin import Fault, FaultPlan, QuietHandler, Standin, StandinServer

ACCESS_TOKEN = "standin-channel-access-token"
CHANNEL_SECRET = "standin-channel-secret"
USER_ID = re.compile(r"^U[0-9a-f]{32}$")
MESSAGES = {
    400: "The request body has 1 error(s)",
    401: "Authentication failed. Confirm that the access token in the authorization header "
    "is valid.",
    409: "The retry key is already accepted",
    429: "You have reached your monthly limit.",
    500: "An error occurred in the server",
}


def new_user_id() -> str:
    """A LINE user id as LINE makes them."""
    return "U" + secrets.token_hex(16)


def sign(secret: str, body: bytes) -> str:
    """``X-Line-Signature`` of a webhook body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Push:
    """One push request and what it was answered."""

    to: str
    texts: list[str]
    retry_key: str | None
    status: int
    message_ids: list[str] = field(default_factory=list)
    delivered: bool = False  # accepted, and the user is a friend (not blocked)
    late_answer: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class LineStandin(Standin):
    """The server and its controls; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        timeout_seconds: float = 2.0,
        everyone_is_a_friend: bool = False,
    ) -> None:
        self.faults = FaultPlan(seed)
        self.timeout_seconds = timeout_seconds
        self._lock = self.faults.lock
        self._ids = itertools.count(461230966842064897)
        self._pushes: list[Push] = []
        self._accepted_keys: dict[str, tuple[str, list[str]]] = {}  # key -> request id, ids
        self.friends: set[str] = set()
        self.everyone_is_a_friend = everyone_is_a_friend  # a benchmark's pushes all arrive
        self.http = StandinServer(_handler_for(self), host, port)

    @property
    def base_url(self) -> str:
        """What to give as LINE_API_BASE."""
        return f"http://127.0.0.1:{self.http.port}"

    thread_name = "line-standin"

    def __enter__(self) -> LineStandin:
        self.start()
        return self

    # --- controls ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget faults, retry keys and what was received."""
        self.faults.clear()
        with self._lock:
            self._pushes.clear()
            self._accepted_keys.clear()

    @property
    def pushes(self) -> list[Push]:
        """Every authenticated push so far, oldest first (a copy)."""
        with self._lock:
            return list(self._pushes)

    @property
    def delivered(self) -> list[Push]:
        """The pushes a user's phone received: accepted, to a friend, not a repeat."""
        return [p for p in self.pushes if p.delivered]

    def snapshot(self) -> list[dict[str, Any]]:
        """What was received, as JSON-ready dicts."""
        return [{**asdict(p), "at": p.at.isoformat()} for p in self.pushes]

    # --- the webhook ------------------------------------------------------------------------

    def event(self, kind: str, user: str, text: str = "", *, redelivery: bool = False) -> dict:
        """One webhook event as LINE sends it (``follow``, ``unfollow``, ``message``)."""
        event: dict[str, Any] = {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": "01" + secrets.token_hex(12).upper(),
            "deliveryContext": {"isRedelivery": redelivery},
        }
        if kind != "unfollow":
            event["replyToken"] = secrets.token_hex(16)
        if kind == "follow":
            event["follow"] = {"isUnblocked": False}
        if kind == "message":
            event["message"] = {
                "type": "text",
                "id": str(next(self._ids)),
                "quoteToken": secrets.token_urlsafe(16),
                "text": text,
            }
        return event

    def send_events(
        self, url: str, *events: dict, secret: str = CHANNEL_SECRET, signature: str | None = None
    ) -> int:
        """POST events to the product's webhook, signed; returns the HTTP status.

        A ``follow`` makes the user a friend (pushes reach them); an ``unfollow`` blocks.
        """
        with self._lock:
            for event in events:
                user = event["source"]["userId"]
                if event["type"] == "follow":
                    self.friends.add(user)
                elif event["type"] == "unfollow":
                    self.friends.discard(user)
        body = json.dumps({"destination": "U" + "0" * 32, "events": list(events)}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Line-Signature": signature if signature is not None else sign(secret, body),
                "User-Agent": "LineBotWebhook/2.0",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    # --- answering --------------------------------------------------------------------------

    def push(self, payload: Any, retry_key: str | None) -> tuple[int, dict, dict[str, str]]:
        """Answer one push: (HTTP status, JSON body, headers)."""
        request_id = str(uuid.uuid4())
        problem = _invalid(payload, retry_key)
        if problem is not None:
            return self._record(payload, retry_key, 400, request_id, body=problem)
        with self._lock:
            if retry_key in self._accepted_keys:
                accepted_id, ids = self._accepted_keys[retry_key]
                self._pushes.append(Push(payload["to"], _texts(payload), retry_key, 409))
                body = {"message": MESSAGES[409], "sentMessages": _sent(ids)}
                return 409, body, {"x-line-accepted-request-id": accepted_id}
        fault = self.faults.next(Fault("error", "500"))
        if fault is not None and fault.kind == "timeout":
            self._record(payload, retry_key, 504, request_id)
            self.http.stopping.wait(self.timeout_seconds)
            return 504, {"message": "Gateway Timeout"}, {}
        if fault is not None and fault.kind == "error":
            status = int(fault.code)
            return self._record(
                payload, retry_key, status, request_id, body={"message": MESSAGES[status]}
            )
        status, body, headers = self._record(payload, retry_key, 200, request_id)
        if fault is not None:  # accepted, answered after the client gave up
            self.http.stopping.wait(self.timeout_seconds)
        return status, body, headers

    def _record(
        self,
        payload: Any,
        retry_key: str | None,
        status: int,
        request_id: str,
        *,
        body: dict | None = None,
    ) -> tuple[int, dict, dict[str, str]]:
        to = payload.get("to", "") if isinstance(payload, dict) else ""
        push = Push(to, _texts(payload), retry_key, status)
        with self._lock:
            if status == 200:
                push.message_ids = [str(next(self._ids)) for _ in push.texts]
                push.delivered = self.everyone_is_a_friend or to in self.friends
                if retry_key:
                    self._accepted_keys[retry_key] = (request_id, push.message_ids)
                body = {"sentMessages": _sent(push.message_ids)}
            self._pushes.append(push)
        return status, body or {}, {"x-line-request-id": request_id}


def _texts(payload: Any) -> list[str]:
    if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
        return []
    return [str(m.get("text", "")) for m in payload["messages"] if isinstance(m, dict)]


def _sent(ids: list[str]) -> list[dict[str, str]]:
    return [{"id": i, "quoteToken": secrets.token_urlsafe(12)} for i in ids]


def _invalid(payload: Any, retry_key: str | None) -> dict | None:
    """LINE's 400 body for what is wrong, or None."""
    if retry_key is not None:
        try:
            uuid.UUID(retry_key)
        except ValueError:
            return {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}
    if not isinstance(payload, dict):
        return {"message": "The request body has 1 error(s)", "details": []}
    details = []
    if not isinstance(payload.get("to"), str) or not USER_ID.match(payload["to"]):
        details.append({"message": "Invalid user ID", "property": "to"})
    messages = payload.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        details.append({"message": "Size must be between 1 and 5", "property": "messages"})
    else:
        for i, message in enumerate(messages):
            text = message.get("text") if isinstance(message, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 5000:
                details.append(
                    {
                        "message": "Length must be between 1 and 5000",
                        "property": f"messages[{i}].text",
                    }
                )
    if not details:
        return None
    return {"message": f"The request body has {len(details)} error(s)", "details": details}


def _handler_for(standin: LineStandin) -> type[QuietHandler]:
    class Handler(QuietHandler):
        server_version = "LineStandin/1.0"

        def do_POST(self) -> None:  # noqa: N802 (http.server names it)
            raw = self.read_body()
            path = urlsplit(self.path).path
            if path == "/_standin/rates":
                standin.set_failure_rates(**json.loads(raw or b"{}"))
                self.answer(200, b"{}", "application/json")
                return
            if path != "/v2/bot/message/push":
                self._json(404, {"message": "Not found"})
                return
            authorisation = self.headers.get("Authorization", "")
            if not hmac.compare_digest(authorisation, f"Bearer {ACCESS_TOKEN}"):
                self._json(401, {"message": MESSAGES[401]})
                return
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            status, body, headers = standin.push(payload, self.headers.get("X-Line-Retry-Key"))
            self._json(status, body, headers)

        def do_GET(self) -> None:  # noqa: N802 (http.server names it)
            if urlsplit(self.path).path == "/_standin/received":
                self._json(200, standin.snapshot())
            else:
                self._json(404, {"message": "Not found"})

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            self.answer(status, json.dumps(body).encode(), "application/json", headers)

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    standin = LineStandin(port=args.port, seed=args.seed, everyone_is_a_friend=True)
    print(f"LINE stand-in on {standin.base_url}; Ctrl-C stops it", flush=True)
    standin.http.serve_in_foreground()


if __name__ == "__main__":
    main()
