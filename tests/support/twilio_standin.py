"""A stand-in for Twilio's Messages API: a real HTTP server on loopback, for tests and benchmarks.

It speaks enough of ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` for the official SDK:
HTTP Basic auth against the account SID and token, form fields ``To``, ``Body``, ``From`` or
``MessagingServiceSid`` and ``StatusCallback``, and Twilio-shaped JSON answers (201 with an
``SM…`` sid; errors as ``{"code", "message", "more_info", "status"}``).

Failures are injected at run time, from any thread:

- ``script(...)`` queues answers for the next calls, in order (``Scripted(500)``,
  ``Scripted(429)``, ``Scripted.timeout()``);
- ``reject_number(to, code)`` answers every message to ``to`` with that Twilio error (21211,
  21610, 21614 come with their real status and message);
- ``set_failure_rates(server_error=p, timeout=q)`` fails a share of calls at random, from a
  seeded RNG so a run can be repeated; ``timeout_accepted=r`` makes that share of the timeouts
  ones where the message was accepted first and only the answer came too late (Twilio took it,
  the client never heard: the window a lookup before resending closes).

``latency`` (seconds) delays every message answer, so a worker killed mid-batch dies with
requests on the wire. A timeout is an answer that sleeps past the client's timeout
(``timeout_seconds``). Everything
received is recorded in ``received`` (accepted messages: ``accepted``; those answered too late
have ``late_answer``), and every read of the Messages list in ``lookups``. ``post_status_callback``
plays Twilio's delivery report back to a message's ``StatusCallback``, signed as Twilio signs it.

Run alone (for a benchmark, or the TWILIO_API_BASE of a demo):
``python -m tests.support.twilio_standin --port 8099``; the same controls are then
``POST /_standin/script`` (``[{"status": 500}, {"status": 400, "code": 21211}, {"status": 0}]``,
status 0 being a timeout), ``/_standin/reject`` (``{"to": ..., "code": 21610}``),
``/_standin/rates`` (``{"server_error": 0.05, "timeout": 0.01, "timeout_accepted": 0.5,
"seed": 1}``), ``/_standin/reset``
and ``GET /_standin/received`` (JSON).
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import random
import re
import socket
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "standin-auth-token"
_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
# The GSM 03.38 basic set: a body of only these goes as GSM-7 (160/153 per segment).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

ERRORS: dict[int, tuple[int, str]] = {
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number {to} is not a valid mobile number"),
    21602: (400, "Message body is required."),
    21604: (400, "A 'To' phone number is required."),
    21603: (400, "A 'From' phone number is required."),
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
}


@dataclass(frozen=True)
class Scripted:
    """One answer to give instead of the normal one: an HTTP status and Twilio error code."""

    status: int
    code: int | None = None
    message: str | None = None
    delay: float = 0.0

    @classmethod
    def timeout(cls, seconds: float | None = None) -> Scripted:
        """An answer that comes too late (after ``seconds``, default: the server's setting)."""
        return cls(status=0, delay=-1.0 if seconds is None else seconds)

    @classmethod
    def accepted_too_late(cls, seconds: float | None = None) -> Scripted:
        """The message is accepted, but the answer comes after the client timed out."""
        return cls(status=201, delay=-1.0 if seconds is None else seconds)


@dataclass
class Received:
    """One authenticated request to the Messages endpoint and what it was answered."""

    to: str | None
    body: str | None
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    status: int
    sid: str | None = None
    error_code: int | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    late_answer: bool = False  # accepted, but answered after the client's timeout

    @property
    def segments(self) -> int:
        """How many SMS segments the body would take."""
        return segments(self.body or "")


class TwilioStandin:
    """The server and its controls; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        timeout_seconds: float = 2.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.timeout_seconds = timeout_seconds
        self.latency = 0.0  # seconds before answering each message
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._script: deque[Scripted] = deque()
        self._rejected: dict[str, Scripted] = {}
        self._server_error_rate = 0.0
        self._timeout_rate = 0.0
        self._timeout_accepted = 0.0
        self._rng = random.Random(seed)  # seeded: a failing run can be repeated
        self._received: list[Received] = []
        self._lookups: list[tuple[str | None, datetime]] = []
        self._server = _Server((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (chosen by the system when 0 was asked)."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What to give as TWILIO_API_BASE."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TwilioStandin:
        """Serve in a background thread."""
        # A short poll makes stop() quick: shutdown() waits for the loop to look.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="twilio-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; answers still sleeping are cut short."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TwilioStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- controls (thread-safe) -------------------------------------------------------------

    def script(self, *answers: Scripted) -> None:
        """Give these answers to the next calls, in order, before anything else applies."""
        with self._lock:
            self._script.extend(answers)

    def reject_number(self, to: str, code: int = 21211, *, status: int | None = None) -> None:
        """Answer every message to ``to`` with Twilio error ``code``."""
        default_status, _ = ERRORS.get(code, (400, ""))
        with self._lock:
            self._rejected[to] = Scripted(status=status or default_status, code=code)

    def set_failure_rates(
        self,
        *,
        server_error: float = 0.0,
        timeout: float = 0.0,
        timeout_accepted: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """Fail this share of calls with HTTP 500, and this share by answering too late.

        ``timeout_accepted`` is the share of those timeouts whose message was accepted first.
        """
        if not (0 <= server_error <= 1 and 0 <= timeout <= 1 and server_error + timeout <= 1):
            raise ValueError("rates are shares between 0 and 1, together at most 1")
        if not 0 <= timeout_accepted <= 1:
            raise ValueError("timeout_accepted is a share between 0 and 1")
        with self._lock:
            self._server_error_rate = server_error
            self._timeout_rate = timeout
            self._timeout_accepted = timeout_accepted
            if seed is not None:
                self._rng.seed(seed)

    def reset(self) -> None:
        """Forget scripts, rejections, rates and what was received."""
        with self._lock:
            self._script.clear()
            self._rejected.clear()
            self._server_error_rate = self._timeout_rate = self._timeout_accepted = 0.0
            self._received.clear()
            self._lookups.clear()

    @property
    def received(self) -> list[Received]:
        """Every authenticated message request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def lookups(self) -> list[tuple[str | None, datetime]]:
        """Every authenticated read of the Messages list: its ``To`` filter and when (a copy)."""
        with self._lock:
            return list(self._lookups)

    @property
    def accepted(self) -> list[Received]:
        """The requests answered 201 (the messages "sent")."""
        return [r for r in self.received if r.status == 201]

    def accepted_containing(self, text: str) -> list[Received]:
        """The accepted messages whose body contains ``text``."""
        return [r for r in self.accepted if text in (r.body or "")]

    def post_status_callback(
        self, sid: str, status: str = "delivered", *, error_code: int | None = None
    ) -> int:
        """POST Twilio's status callback for message ``sid``, signed; returns the HTTP status."""
        message = next((r for r in self.received if r.sid == sid), None)
        if message is None or not message.status_callback:
            raise LookupError(f"no message {sid} with a StatusCallback")
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message.to or "",
            "From": message.from_ or "",
            "ApiVersion": "2010-04-01",
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        url = message.status_callback
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        request = urllib.request.Request(
            url,
            data=urlencode(params).encode(),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    # --- answering --------------------------------------------------------------------------

    def _choose(self, to: str) -> Scripted | None:
        """What to answer instead of success, if anything (under the lock)."""
        if self.latency:  # outside the lock: slow answers overlap, as a real API's do
            self._stopping.wait(self.latency)
        with self._lock:
            if self._script:
                return self._script.popleft()
            if to in self._rejected:
                return self._rejected[to]
            draw = self._rng.random()
            if draw < self._server_error_rate:
                return Scripted(500, 20500)
            if draw < self._server_error_rate + self._timeout_rate:
                if self._rng.random() < self._timeout_accepted:
                    return Scripted.accepted_too_late()
                return Scripted.timeout()
        return None

    def _record(self, received: Received) -> None:
        """Keep one received request."""
        with self._lock:
            self._received.append(received)

    def _sleep(self, seconds: float) -> None:
        """Wait (a negative time: the server's timeout setting), cut short by stop()."""
        self._stopping.wait(self.timeout_seconds if seconds < 0 else seconds)

    def _authorised(self, header: str | None) -> bool:
        """Whether the Basic credentials are this account's."""
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(user, self.account_sid) and hmac.compare_digest(
            password, self.auth_token
        )

    def _message_json(self, sid: str, form: dict[str, str]) -> dict[str, Any]:
        """A Message resource as Twilio returns it on creation."""
        now = format_datetime(datetime.now(UTC))
        body = form.get("Body", "")
        service = form.get("MessagingServiceSid")
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Twilio says "accepted" while a Messaging Service still has to pick the sender.
            "status": "accepted" if service and not form.get("From") else "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def message_page(self, to: str | None, *, page: int = 0, page_size: int = 50) -> dict[str, Any]:
        """One page of the Messages list as Twilio returns it: accepted messages, newest first."""
        with self._lock:
            self._lookups.append((to, datetime.now(UTC)))
        found = [r for r in reversed(self.accepted) if to is None or r.to == to]
        first = page * page_size
        messages = []
        for received in found[first : first + page_size]:
            form = {"To": received.to or "", "Body": received.body or "", "From": received.from_}
            message = self._message_json(received.sid or "", {k: v for k, v in form.items() if v})
            message["date_created"] = format_datetime(received.at)
            messages.append(message)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        more = first + page_size < len(found)
        query = urlencode({k: v for k, v in {"To": to, "PageSize": page_size}.items() if v})
        return {
            "messages": messages,
            "page": page,
            "page_size": page_size,
            "first_page_uri": f"{uri}?{query}&Page=0",
            "next_page_uri": f"{uri}?{query}&Page={page + 1}" if more else None,
            "previous_page_uri": f"{uri}?{query}&Page={page - 1}" if page else None,
            "uri": f"{uri}?{query}&Page={page}",
            "start": first,
            "end": first + len(messages),
        }

    def snapshot(self) -> list[dict[str, Any]]:
        """What was received, as JSON-ready dicts (for the control endpoint)."""
        return [
            {**asdict(r), "at": r.at.isoformat(), "segments": r.segments} for r in self.received
        ]


def segments(body: str) -> int:
    """How many SMS segments ``body`` takes (GSM-7 160/153, else UCS-2 70/67 UTF-16 units)."""
    if set(body) <= _GSM7:
        length, single, multi = len(body), 160, 153
    else:
        length, single, multi = len(body.encode("utf-16-le")) // 2, 70, 67
    if length <= single:
        return 1
    return -(-length // multi)


def _error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """A Twilio-shaped error body."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Server(ThreadingHTTPServer):
    """The HTTP server, quiet about clients that hang up (a killed worker, a timeout)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore a reset connection; report anything else as the standard server does."""
        if not isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            super().handle_error(request, client_address)


def _handler_for(standin: TwilioStandin) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to ``standin``."""

    class Handler(BaseHTTPRequestHandler):
        """One request to the stand-in."""

        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects
        timeout = 15  # an idle kept-alive connection ends rather than holding a thread
        server_version = "TwilioStandin/1.0"

        def setup(self) -> None:
            """Send small answers at once: Nagle's wait would add 40 ms to every call."""
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``received``, not stderr."""

        def _send(self, status: int, payload: Any) -> None:
            """Answer with JSON, quietly if the client has gone."""
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout we injected): nothing to answer

        def _read_body(self) -> bytes:
            """The request body."""
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            """Control: what was received; and the Messages list (newest first, by To)."""
            url = urlsplit(self.path)
            if url.path == "/_standin/received":
                self._send(200, standin.snapshot())
            elif url.path == f"/2010-04-01/Accounts/{standin.account_sid}/Messages.json":
                if not standin._authorised(self.headers.get("Authorization")):
                    self._send(401, _error_body(401, 20003, ERRORS[20003][1]))
                    return
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                self._send(
                    200,
                    standin.message_page(
                        query.get("To"),
                        page=int(query.get("Page", 0)),
                        page_size=int(query.get("PageSize", 50)),
                    ),
                )
            else:
                self._send(404, _error_body(404, 20404, ERRORS[20404][1]))

        def do_POST(self) -> None:
            """The Messages endpoint, and the controls."""
            raw = self._read_body()
            if self.path.startswith("/_standin/"):
                self._control(raw)
                return
            match = _MESSAGES_PATH.match(self.path.split("?", 1)[0])
            if match is None:
                self._send(404, _error_body(404, 20404, ERRORS[20404][1]))
                return
            if not self._authorised_for(match.group("sid")):
                self._send(401, _error_body(401, 20003, ERRORS[20003][1]))
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            self._message(form)

        def _authorised_for(self, path_sid: str) -> bool:
            """Whether the credentials and the account in the path are right."""
            return standin._authorised(self.headers.get("Authorization")) and hmac.compare_digest(
                path_sid, standin.account_sid
            )

        def _message(self, form: dict[str, str]) -> None:
            """Validate, then answer: scripted failure, rejection, random failure or 201."""
            to = form.get("To")
            received = Received(
                to=to,
                body=form.get("Body"),
                from_=form.get("From"),
                messaging_service_sid=form.get("MessagingServiceSid"),
                status_callback=form.get("StatusCallback"),
                status=0,
            )
            missing = None
            if not to:
                missing = 21604
            elif not form.get("Body"):
                missing = 21602
            elif not (form.get("From") or form.get("MessagingServiceSid")):
                missing = 21603
            answer = Scripted(400, missing) if missing else standin._choose(to or "")
            if answer is None or answer.status == 201:
                sid = "SM" + uuid.uuid4().hex
                received.status, received.sid = 201, sid
                received.late_answer = answer is not None
                standin._record(received)
                if answer is not None:  # accepted, but the answer comes after the client gave up
                    standin._sleep(answer.delay or -1.0)
                self._send(201, standin._message_json(sid, form))
                return
            if answer.status == 0:  # a timeout: by the time it answers, the client has gone
                received.status = 504
                standin._record(received)
                standin._sleep(answer.delay or -1.0)
                self._send(504, _error_body(504, 20504, "Gateway Timeout"))
                return
            if answer.delay:  # a slow failure
                standin._sleep(answer.delay)
            code = answer.code or {429: 20429}.get(answer.status, 20500)
            template = answer.message or ERRORS.get(code, (answer.status, "Error"))[1]
            received.status, received.error_code = answer.status, code
            standin._record(received)
            self._send(
                answer.status, _error_body(answer.status, code, template.replace("{to}", to or ""))
            )

        def _control(self, raw: bytes) -> None:
            """Apply one control request (JSON body)."""
            try:
                payload = json.loads(raw or b"null")
                if self.path == "/_standin/script":
                    standin.script(*(Scripted(**item) for item in payload))
                elif self.path == "/_standin/rates":
                    standin.set_failure_rates(**payload)
                elif self.path == "/_standin/reject":
                    standin.reject_number(payload["to"], int(payload.get("code", 21211)))
                elif self.path == "/_standin/reset":
                    standin.reset()
                else:
                    self._send(404, {"error": "unknown control"})
                    return
            except (TypeError, ValueError, KeyError) as exc:
                self._send(400, {"error": str(exc)})
                return
            self._send(200, {"ok": True})

    return Handler


@contextmanager
def running_standin(**kwargs: Any) -> Iterator[TwilioStandin]:
    """A started stand-in, stopped on exit."""
    standin = TwilioStandin(**kwargs)
    with standin:
        yield standin


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--server-error-rate", type=float, default=0.0)
    parser.add_argument("--timeout-rate", type=float, default=0.0)
    parser.add_argument("--timeout-accepted", type=float, default=0.0)
    parser.add_argument("--timeout-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    standin = TwilioStandin(
        args.account_sid,
        args.auth_token,
        host=args.host,
        port=args.port,
        seed=args.seed,
        timeout_seconds=args.timeout_seconds,
    )
    standin.set_failure_rates(
        server_error=args.server_error_rate,
        timeout=args.timeout_rate,
        timeout_accepted=args.timeout_accepted,
    )
    print(
        f"Twilio stand-in on http://{args.host}:{standin.port} "
        f"(account {args.account_sid}); Ctrl-C stops it",
        flush=True,
    )
    try:
        standin._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        standin._server.server_close()


if __name__ == "__main__":
    main()
