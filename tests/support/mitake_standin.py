"""A stand-in for 三竹 Mitake's SMS HTTP API: a real HTTP server on loopback.

It answers ``POST …/SmSend`` as the vendor documents (B2C_MitakeAPI v2.x):

- the form (``application/x-www-form-urlencoded``) in the charset ``CharsetURL`` names (``UTF8``
  or ``UTF-8``; Big5 without it): ``username``, ``password``, ``dstaddr``, ``smbody``,
  ``clientid``, ``response``, ``destname``;
- HTTP 200 with ``key=value`` lines (CRLF): ``[1]``, ``msgid=#…``, ``statuscode=1``,
  ``AccountPoint=…``; a wrong account ``statuscode=e`` with ``Error=…``; a bad number ``v``, an
  empty body ``u``; no credit left ``s``;
- a ``clientid`` seen in the last 12 hours gets the earlier answer again with ``Duplicate=Y``, and
  nothing is sent;
- every accepted message costs its segments (70/67 UCS-2 units) from ``AccountPoint``;
- delivery reports: ``callback_delay`` seconds after a message is accepted, a GET to its
  ``response`` address with ``msgid``, ``dstaddr``, ``dlvtime``, ``donetime``, ``statuscode``,
  ``statusstr`` and ``StatusFlag`` (``4``/``DELIVRD``; ``reject_number(n, "7")`` makes it
  ``7``/``UNDELIV``), called again (``callback_retries`` times, ``callback_retry_delay`` apart)
  until the answer is ``magicid=sms_gateway_rpack`` and ``msgid=…``.

It records whether credentials came in the URL (the product must never put them there), every
request (``received``) and every report call (``reports``). Faults: ``script`` and
``set_failure_rates`` (tests/support/http_standin.py), ``reject_number(n, code)`` (a letter
refuses at once, a digit is the delivery report's flag). Run alone:
``python -m tests.support.mitake_standin --port 8098``; controls then are ``POST /_standin/script``
(``[{"kind": "error", "code": "r"}, {"kind": "timeout"}]``), ``/_standin/rates``,
``/_standin/reject`` (``{"number": "0912345678", "code": "v"}``), ``/_standin/reset``, and
``GET /_standin/received``.
"""

from __future__ import annotations

import argparse
import hmac
import itertools
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.http_standin import Fault, FaultPlan, QuietHandler, Standin, StandinServer

USERNAME, PASSWORD = "kcg-sanmin", "standin-password"
ACCEPTED = {"0", "1", "2", "4"}
REMEMBER_CLIENT_IDS = 12 * 3600.0
ACK_MAGIC = "magicid=sms_gateway_rpack"
ERRORS = {
    "e": "帳號、密碼錯誤",
    "c": "請輸入帳號",
    "d": "請輸入密碼",
    "r": "系統暫停服務，請稍後再試",
    "s": "帳務處理失敗，無法發送簡訊",
    "u": "簡訊內容不得為空白",
    "v": "無效的手機號碼",
    "*": "系統發生錯誤，請聯絡三竹資訊窗口人員",
}
WORDS = {"4": "DELIVRD", "5": "SYNTAXE", "6": "UNDELIV", "7": "UNDELIV", "8": "EXPIRED"}


def segments(body: str) -> int:
    """SMS segments of a UCS-2 message (70 units alone, 67 each when split)."""
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


@dataclass
class MitakeReceived:
    """One SmSend request and what it was answered."""

    dstaddr: str
    smbody: str
    clientid: str
    response_url: str
    charset: str
    credentials_in_url: bool
    statuscode: str = ""
    msgid: str | None = None
    duplicate: bool = False
    late_answer: bool = False
    http_status: int = 200
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Report:
    """One delivery-report call to the product, and what it answered."""

    msgid: str
    flag: str
    http_status: int
    acknowledged: bool


class MitakeStandin(Standin):
    """The server and its controls; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        credit: int = 100_000,
        timeout_seconds: float = 2.0,
        callback_delay: float = 0.05,
        callback_retries: int = 3,
        callback_retry_delay: float = 0.2,
    ) -> None:
        self.faults = FaultPlan(seed)
        self.credit = credit
        self.timeout_seconds = timeout_seconds
        self.callback_delay = callback_delay
        self.callback_retries = callback_retries
        self.callback_retry_delay = callback_retry_delay
        self._lock = self.faults.lock
        self._ids = itertools.count(1)
        self._received: list[MitakeReceived] = []
        self._reports: list[Report] = []
        self._answers: dict[str, tuple[float, str]] = {}  # clientid -> (when, answer)
        self._rejected: dict[str, str] = {}
        self._callbacks: queue.Queue[tuple[float, MitakeReceived, str, int]] = queue.Queue()
        self.http = StandinServer(_handler_for(self), host, port)
        self._reporter = threading.Thread(target=self._report_loop, daemon=True)

    @property
    def base_url(self) -> str:
        """What to give as MITAKE_API_BASE."""
        return f"http://127.0.0.1:{self.http.port}/api/mtk"

    def start(self) -> MitakeStandin:
        """Serve, and send delivery reports, in background threads."""
        self.http.start("mitake-standin")
        self._reporter.start()
        return self

    def stop(self) -> None:
        """Stop serving and reporting."""
        self.http.stop()
        self._callbacks.put((0.0, MitakeReceived("", "", "", "", "", False), "", -1))
        self._reporter.join(timeout=5)

    def __enter__(self) -> MitakeStandin:
        return self.start()

    # --- controls ---------------------------------------------------------------------------

    def reject_number(self, number: str, code: str = "v") -> None:
        """Refuse messages to ``number`` (``09…``) with ``code``: a letter at once, a digit as
        the delivery report's StatusFlag after an accepted send."""
        with self._lock:
            self._rejected[number] = code

    def reset(self) -> None:
        """Forget faults, rejections, clientids and what was received."""
        self.faults.clear()
        with self._lock:
            self._rejected.clear()
            self._answers.clear()
            self._received.clear()
            self._reports.clear()

    @property
    def received(self) -> list[MitakeReceived]:
        """Every SmSend request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def accepted(self) -> list[MitakeReceived]:
        """The messages really sent: accepted, and not a repeated clientid."""
        return [r for r in self.received if r.statuscode in ACCEPTED and not r.duplicate]

    @property
    def reports(self) -> list[Report]:
        """Every delivery-report call made so far (a copy)."""
        with self._lock:
            return list(self._reports)

    def snapshot(self) -> list[dict[str, Any]]:
        """What was received, as JSON-ready dicts."""
        return [{**asdict(r), "at": r.at.isoformat()} for r in self.received]

    # --- answering --------------------------------------------------------------------------

    def sms_send(self, form: dict[str, str], charset: str, in_url: bool) -> tuple[int, str]:
        """Answer one SmSend: (HTTP status, body)."""
        received = MitakeReceived(
            dstaddr=form.get("dstaddr", ""),
            smbody=form.get("smbody", "").replace("\x06", "\n"),
            clientid=form.get("clientid", ""),
            response_url=form.get("response", ""),
            charset=charset,
            credentials_in_url=in_url,
        )
        code = self._refusal(form)
        if code is not None:
            return self._refuse(received, code)
        with self._lock:
            known = self._answers.get(received.clientid) if received.clientid else None
            if known is not None and time.monotonic() - known[0] < REMEMBER_CLIENT_IDS:
                received.duplicate, received.statuscode = True, "1"
                received.msgid = known[1].split("msgid=#", 1)[1].split("\r\n", 1)[0]
                self._received.append(received)
                return 200, known[1] + "Duplicate=Y\r\n"
        fault = self.faults.next(Fault("error", "500"))
        if fault is not None and fault.kind != "late":
            return self._fault(received, fault)
        return self._accept(received, late=fault is not None)

    def _refusal(self, form: dict[str, str]) -> str | None:
        if not form.get("username"):
            return "c"
        if not form.get("password"):
            return "d"
        if not (
            hmac.compare_digest(form["username"], USERNAME)
            and hmac.compare_digest(form["password"], PASSWORD)
        ):
            return "e"
        number = form.get("dstaddr", "")
        if not (number.startswith("09") and len(number) == 10 and number.isdigit()):
            return "v"
        if not form.get("smbody"):
            return "u"
        with self._lock:
            rejected = self._rejected.get(number)
        return rejected if rejected is not None and not rejected.isdigit() else None

    def _refuse(self, received: MitakeReceived, code: str) -> tuple[int, str]:
        with self._lock:
            return self._refuse_locked(received, code)

    def _refuse_locked(self, received: MitakeReceived, code: str) -> tuple[int, str]:
        received.statuscode = code
        self._received.append(received)
        return 200, f"statuscode={code}\r\nError={ERRORS.get(code, '')}\r\n"

    def _fault(self, received: MitakeReceived, fault: Fault) -> tuple[int, str]:
        if fault.kind == "timeout":
            received.http_status = 504
            with self._lock:
                self._received.append(received)
            self.http.stopping.wait(self.timeout_seconds if fault.delay < 0 else fault.delay)
            return 504, ""
        if fault.code.isdigit() and len(fault.code) == 3:
            received.http_status = int(fault.code)
            with self._lock:
                self._received.append(received)
            return int(fault.code), "Internal Server Error"
        return self._refuse(received, fault.code)

    def _accept(self, received: MitakeReceived, *, late: bool) -> tuple[int, str]:
        cost = segments(received.smbody)
        with self._lock:
            if self.credit < cost:
                return self._refuse_locked(received, "s")
            self.credit -= cost
            received.msgid = f"{next(self._ids):010d}"
            received.statuscode, received.late_answer = "1", late
            answer = f"[1]\r\nmsgid=#{received.msgid}\r\nstatuscode=1\r\n"
            answer += f"AccountPoint={self.credit}\r\n"
            if received.clientid:
                self._answers[received.clientid] = (time.monotonic(), answer)
            self._received.append(received)
            flag = self._rejected.get(received.dstaddr, "4")
        if received.response_url:
            self._callbacks.put((time.monotonic() + self.callback_delay, received, flag, 0))
        if late:
            self.http.stopping.wait(self.timeout_seconds)
        return 200, answer

    # --- delivery reports -------------------------------------------------------------------

    def post_report(self, received: MitakeReceived, flag: str) -> Report:
        """Call the message's ``response`` address with a report, as Mitake does (GET)."""
        now = datetime.now().strftime("%Y%m%d%H%M%S")
        params = {
            "msgid": received.msgid or "",
            "dstaddr": received.dstaddr,
            "dlvtime": now,
            "donetime": now,
            "statuscode": "0",
            "statusstr": WORDS.get(flag, "UNKNOWN"),
            "StatusFlag": flag,
        }
        url = f"{received.response_url}?{urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status, text = int(response.status), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, text = int(exc.code), ""
        except OSError:
            status, text = 0, ""
        expected = f"{ACK_MAGIC}\nmsgid={received.msgid}\n"
        report = Report(received.msgid or "", flag, status, text.replace("\r\n", "\n") == expected)
        with self._lock:
            self._reports.append(report)
        return report

    def _report_loop(self) -> None:
        while True:
            due, received, flag, tries = self._callbacks.get()
            if tries < 0:
                return
            wait = due - time.monotonic()
            if wait > 0 and self.http.stopping.wait(wait):
                return
            report = self.post_report(received, flag)
            if not report.acknowledged and tries + 1 < self.callback_retries:
                retry_at = time.monotonic() + self.callback_retry_delay
                self._callbacks.put((retry_at, received, flag, tries + 1))


def _decode_form(raw: bytes, charset: str) -> dict[str, str]:
    encoding = "utf-8" if charset.upper().replace("-", "") == "UTF8" else "cp950"
    pairs = parse_qs(raw.decode("ascii", "replace"), keep_blank_values=True, encoding=encoding)
    return {key: values[0] for key, values in pairs.items()}


def _handler_for(standin: MitakeStandin) -> type[QuietHandler]:
    class Handler(QuietHandler):
        server_version = "MitakeStandin/1.0"

        def do_POST(self) -> None:  # noqa: N802 (http.server names it)
            url = urlsplit(self.path)
            raw = self.read_body()
            if url.path.startswith("/_standin/"):
                self._control(url.path, raw)
                return
            if not url.path.endswith("/SmSend"):
                self.answer(404, b"Not Found", "text/plain")
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            charset = query.get("CharsetURL", "")
            form = _decode_form(raw, charset)
            in_url = "username" in query or "password" in query
            status, text = standin.sms_send(form, charset, in_url)
            encoding = "utf-8" if charset.upper().replace("-", "") == "UTF8" else "cp950"
            self.answer(status, text.encode(encoding), "text/html")

        def do_GET(self) -> None:  # noqa: N802 (http.server names it)
            if urlsplit(self.path).path == "/_standin/received":
                data = json.dumps(standin.snapshot()).encode()
                self.answer(200, data, "application/json")
            else:
                self.answer(404, b"Not Found", "text/plain")

        def _control(self, path: str, raw: bytes) -> None:
            try:
                payload = json.loads(raw or b"null")
                if path == "/_standin/script":
                    standin.script(*(Fault(**item) for item in payload))
                elif path == "/_standin/rates":
                    standin.set_failure_rates(**payload)
                elif path == "/_standin/reject":
                    standin.reject_number(payload["number"], str(payload.get("code", "v")))
                elif path == "/_standin/reset":
                    standin.reset()
                else:
                    self.answer(404, b'{"error": "unknown control"}', "application/json")
                    return
            except (TypeError, ValueError, KeyError) as exc:
                self.answer(400, json.dumps({"error": str(exc)}).encode(), "application/json")
                return
            self.answer(200, b'{"ok": true}', "application/json")

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout-seconds", type=float, default=2.0)
    parser.add_argument("--callback-delay", type=float, default=0.05)
    parser.add_argument("--no-reports", action="store_true", help="send no delivery reports")
    args = parser.parse_args(argv)
    standin = MitakeStandin(
        port=args.port,
        seed=args.seed,
        timeout_seconds=args.timeout_seconds,
        callback_delay=args.callback_delay,
    )
    if not args.no_reports:
        standin._reporter.start()
    print(f"Mitake stand-in on {standin.base_url}; Ctrl-C stops it", flush=True)
    standin.http.serve_in_foreground()


if __name__ == "__main__":
    main()
