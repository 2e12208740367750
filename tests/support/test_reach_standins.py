"""The Mitake and LINE stand-ins speak their vendors' protocols, at the HTTP level."""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from linebot.v3 import WebhookParser

from tests.support.line_standin import ACCESS_TOKEN, CHANNEL_SECRET, LineStandin, sign
from tests.support.mitake_standin import PASSWORD, USERNAME, MitakeStandin


class _Receiver:
    """A report address that answers wrongly ``wrong`` times, then as Mitake asks."""

    def __init__(self, wrong: int) -> None:
        self.calls: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                receiver.calls.append(self.path)
                msgid = self.path.split("msgid=")[1].split("&")[0]
                ok = len(receiver.calls) > wrong
                body = f"magicid=sms_gateway_rpack\nmsgid={msgid}\n" if ok else "OK"
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/report"


def _sm_send(standin: MitakeStandin, **form: str) -> requests.Response:
    body = {"username": USERNAME, "password": PASSWORD, "dstaddr": "0912345678", **form}
    return requests.post(
        f"{standin.base_url}/SmSend", params={"CharsetURL": "UTF8"}, data=body, timeout=5
    )


def test_mitake_calls_again_until_its_report_is_acknowledged() -> None:
    receiver = _Receiver(wrong=1)
    with MitakeStandin(callback_delay=0.01, callback_retry_delay=0.05) as standin:
        _sm_send(standin, smbody="通知", response=receiver.url)
        deadline = time.monotonic() + 5
        while len(standin.reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [r.acknowledged for r in standin.reports] == [False, True]
    receiver.server.shutdown()
    assert "StatusFlag=4" in receiver.calls[-1]
    assert "statusstr=DELIVRD" in receiver.calls[-1]


def test_mitake_answers_a_repeated_clientid_without_sending() -> None:
    with MitakeStandin() as standin:
        first = _sm_send(standin, smbody="通知", clientid="c-1").text
        again = _sm_send(standin, smbody="通知", clientid="c-1").text
        assert first.startswith("[1]\r\nmsgid=#")
        assert again == first + "Duplicate=Y\r\n"
        assert len(standin.accepted) == 1


def test_mitake_notes_credentials_put_in_the_url() -> None:
    with MitakeStandin() as standin:
        requests.post(
            f"{standin.base_url}/SmSend",
            params={"username": USERNAME, "password": PASSWORD, "CharsetURL": "UTF8"},
            data={"dstaddr": "0912345678", "smbody": "x"},
            timeout=5,
        )
        assert standin.received[0].credentials_in_url is True
        assert standin.received[0].statuscode == "c"  # and none in the body: refused


def test_line_refuses_a_repeated_retry_key_with_409_and_the_accepted_request() -> None:
    with LineStandin(everyone_is_a_friend=True) as standin:
        key = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {ACCESS_TOKEN}", "X-Line-Retry-Key": key}
        body = {"to": "U" + "a" * 32, "messages": [{"type": "text", "text": "通知"}]}
        url = f"{standin.base_url}/v2/bot/message/push"
        first = requests.post(url, json=body, headers=headers, timeout=5)
        again = requests.post(url, json=body, headers=headers, timeout=5)
        assert first.status_code == 200
        assert again.status_code == 409
        assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
        assert again.json()["sentMessages"][0]["id"] == first.json()["sentMessages"][0]["id"]
        assert len(standin.delivered) == 1


def test_line_webhook_signatures_are_what_the_official_sdk_checks() -> None:
    standin = LineStandin()
    body = b'{"destination": "U0", "events": []}'
    assert WebhookParser(CHANNEL_SECRET).parse(body.decode(), sign(CHANNEL_SECRET, body)) == []
    standin.http.server.server_close()
