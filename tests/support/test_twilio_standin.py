"""The Twilio stand-in itself: what it checks, its controls, its callbacks, its command line."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.support.twilio_standin import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    TwilioStandin,
    segments,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def standin() -> Iterator[TwilioStandin]:
    """A running stand-in."""
    with TwilioStandin() as running:
        yield running


def post(url: str, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST and return (status, JSON body), error statuses included."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_message_without_to_body_or_sender_is_refused(standin: TwilioStandin) -> None:
    client = _client(standin)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="", body="x", from_="+1")
    assert (caught.value.status, caught.value.code) == (400, 21604)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+886912345678", from_="+1")
    assert caught.value.code == 21602
    url = f"{standin.base_url}/2010-04-01/Accounts/{standin.account_sid}/Messages.json"
    auth = "Basic " + _basic(standin.account_sid, standin.auth_token)
    status, body = post(url, b"To=%2B886912345678&Body=x", {"Authorization": auth})
    assert (status, body["code"]) == (400, 21603)


def test_unknown_paths_and_other_accounts_are_refused(standin: TwilioStandin) -> None:
    auth = {"Authorization": "Basic " + _basic(standin.account_sid, standin.auth_token)}
    assert post(f"{standin.base_url}/2010-04-01/Calls.json", b"", auth)[0] == 404
    other = f"{standin.base_url}/2010-04-01/Accounts/AC{'9' * 32}/Messages.json"
    assert post(other, b"To=1&Body=x&From=2", auth)[0] == 401
    assert standin.received == []


def test_the_controls_work_over_http(standin: TwilioStandin) -> None:
    control = f"{standin.base_url}/_standin"
    assert post(f"{control}/script", json.dumps([{"status": 503}]).encode())[0] == 200
    assert post(f"{control}/reject", json.dumps({"to": "+886900000000", "code": 21614}).encode())
    client = _client(standin)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+886912345678", body="x", from_="+1")
    assert caught.value.status == 503
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+886900000000", body="x", from_="+1")
    assert caught.value.code == 21614
    client.messages.create(to="+886912345678", body="ok", from_="+1")
    with urllib.request.urlopen(f"{control}/received", timeout=5) as response:
        received = json.loads(response.read())
    assert [(r["status"], r["error_code"]) for r in received] == [
        (503, 20500),
        (400, 21614),
        (201, None),
    ]
    assert post(f"{control}/rates", b'{"server_error": 2}')[0] == 400
    assert post(f"{control}/reset", b"")[0] == 200
    assert standin.received == []


def test_random_timeouts_are_partly_accepted_and_lookups_are_recorded() -> None:
    with TwilioStandin(timeout_seconds=0.4) as standin:
        standin.set_failure_rates(timeout=1.0, timeout_accepted=0.5, seed=3)
        url = f"{standin.base_url}/2010-04-01/Accounts/{standin.account_sid}/Messages.json"
        auth = {"Authorization": "Basic " + _basic(standin.account_sid, standin.auth_token)}
        for i in range(12):
            request = urllib.request.Request(
                url, data=f"To=%2B88691234{i:04d}&Body=x&From=%2B1".encode(), headers=auth
            )
            with pytest.raises((TimeoutError, urllib.error.URLError)):
                urllib.request.urlopen(request, timeout=0.1)  # every answer comes too late
        received = standin.received
        late = [r for r in received if r.status == 201]
        # Every call timed out; some of the messages were taken first, the others were not.
        assert 0 < len(late) < 12 and all(r.late_answer for r in late)
        assert {r.status for r in received} == {201, 504}
        assert not any(r.late_answer for r in received if r.status == 504)
        client = _client(standin)
        assert [m.sid for m in client.messages.list(to=late[0].to)] == [late[0].sid]
        [(to, _at)] = standin.lookups
        assert to == late[0].to


def test_a_status_callback_is_signed_as_twilio_signs_it(standin: TwilioStandin) -> None:
    got: list[tuple[str, dict[str, str], str]] = []

    class Receiver(BaseHTTPRequestHandler):
        """Collects the status callbacks it is sent."""

        def do_POST(self) -> None:
            """Keep the callback and its signature."""
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            got.append((self.path, params, self.headers["X-Twilio-Signature"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/twilio/status"
        message = _client(standin).messages.create(
            to="+886912345678", body="x", from_="+15005550006", status_callback=url
        )
        assert standin.post_status_callback(str(message.sid), "delivered") == 204
    finally:
        server.shutdown()
        server.server_close()
    [(path, params, signature)] = got
    assert path == "/webhooks/twilio/status"
    assert params["MessageSid"] == message.sid and params["MessageStatus"] == "delivered"
    assert RequestValidator(standin.auth_token).validate(url, params, signature)
    assert not RequestValidator("another-token").validate(url, params, signature)


def test_segments_are_counted_as_carriers_count_them() -> None:
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("字" * 70) == 1 and segments("字" * 71) == 2 and segments("字" * 134) == 2
    assert segments("字" * 135) == 3
    assert segments("𡘙" * 35) == 1  # two UTF-16 units each


def test_the_command_line_serves_until_stopped() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.twilio_standin", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}" in process.stdout.readline()
        client = _client_for(f"http://127.0.0.1:{port}", DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
        message = client.messages.create(to="+886912345678", body="x", from_="+1")
        assert str(message.sid).startswith("SM")
    finally:
        process.terminate()
        process.wait(timeout=10)


def _client(standin: TwilioStandin) -> Client:
    """The SDK's client for the stand-in."""
    return _client_for(standin.base_url, standin.account_sid, standin.auth_token)


def _client_for(base: str, sid: str, token: str) -> Client:
    """The SDK's own client, its API domain pointed at ``base``."""
    client = Client(sid, token)
    client.api.base_url = base
    return client


def _basic(user: str, password: str) -> str:
    """The HTTP Basic credentials for a header."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()
