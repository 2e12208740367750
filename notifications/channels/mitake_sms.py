"""SMS through 三竹資訊 Mitake's HTTP API (``SmSend``), its answers parsed and classified.

The vendor's published API (B2C_MitakeAPI v2.x, and its sample code) as this module uses it:

- ``POST {MITAKE_API_BASE}/SmSend?CharsetURL=UTF8``, form-encoded in UTF-8: ``username``,
  ``password`` (in the body, never in the URL: a URL ends up in proxies' and servers' logs),
  ``dstaddr`` (``09xxxxxxxx``), ``smbody`` (a line break is character 6), ``clientid``,
  ``response`` (the delivery-report address), ``destname``.
- The answer is HTTP 200 whatever happened, with ``key=value`` lines: ``[1]``, ``msgid=#…``,
  ``statuscode=…``, ``AccountPoint=…`` (the credit left), ``Duplicate=Y`` (a ``clientid`` seen
  before: the earlier answer again, nothing sent), or ``statuscode=…`` with ``Error=…``.
- ``clientid`` (at most 36 characters) is kept by Mitake for 12 hours: a send repeated with the
  same ``clientid`` within them is answered, not sent. We make it from the notice's dedupe key
  (``client_id``), so that the gateway itself refuses a second copy of a notice whose first
  attempt may have got through (a timeout, a worker killed mid-send). The dispatcher's retries of
  one notice span about four hours (notifications.dispatch.recording), well inside the 12.

Status codes (the vendor's table): ``0`` scheduled, ``1``/``2``/``3`` handed to the carrier,
``4`` delivered; ``5`` content error, ``6`` number error, ``7`` SMS barred, ``8`` expired
undelivered, ``9`` cancelled; letters are account and service conditions (``*``, ``a``, ``b``,
``r``, ``l`` the service is busy or paused; ``c``–``p`` credentials and permissions; ``s`` no
credit; ``t``, ``u``, ``v`` an expired, empty or misaddressed message).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from notifications.channels.base import (
    PermanentSendError,
    SendError,
    SendResult,
    TransientSendError,
    redact,
)
from notifications.mitake_codes import ACCEPTED, ACCOUNT_CODES, BUSY_CODES, PERMANENT_CODES

log = logging.getLogger(__name__)

# The notice's dedupe key made into a clientid: a UUID is the 36 characters Mitake allows, and
# the same key always gives the same id. The namespace is ours, fixed for ever.
CLIENT_ID_NAMESPACE = uuid.UUID("5f0c1d8e-7a43-4d2b-9c55-3b1e6a0f9d21")


def client_id(dedupe_key: str) -> str:
    """The ``clientid`` of a notice: the same notice always gets the same one (36 characters)."""
    return str(uuid.uuid5(CLIENT_ID_NAMESPACE, dedupe_key))


def mitake_number(e164: str) -> str:
    """``+886912345678`` → ``0912345678`` (Mitake's form); other countries stay as given."""
    if e164.startswith("+886"):
        return "0" + e164[4:]
    return e164


@dataclass(frozen=True, slots=True)
class MitakeAnswer:
    """What SmSend answered: one record's fields, the credit left, whether a repeat."""

    fields: Mapping[str, str]
    account_point: int | None

    @property
    def status(self) -> str | None:
        """The ``statuscode``."""
        return self.fields.get("statuscode")

    @property
    def msgid(self) -> str | None:
        """The message id, without the ``#`` SmSend puts before it (callbacks have none)."""
        value = self.fields.get("msgid")
        return value.lstrip("#") or None if value else None

    @property
    def duplicate(self) -> bool:
        """A ``clientid`` Mitake had already seen: the earlier answer, nothing sent again."""
        return self.fields.get("Duplicate", "").upper() == "Y"


def parse_answer(text: str) -> MitakeAnswer:
    """Mitake's ``key=value`` lines (CRLF or LF; ``[n]`` opens a record) as one answer."""
    fields: dict[str, str] = {}
    point: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or (line.startswith("[") and line.endswith("]")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "AccountPoint":
            point = int(value) if value.lstrip("-").isdigit() else None
        else:
            # One message per request: the first record is the answer.
            fields.setdefault(key, value)
    return MitakeAnswer(fields, point)


def decode(content: bytes, declared: str | None) -> str:
    """The answer's text: as declared, else UTF-8 (CharsetURL=UTF8), else Big5 (its default)."""
    for encoding in (declared, "utf-8", "cp950"):
        if not encoding:
            continue
        try:
            return content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return content.decode("utf-8", "replace")


def classify(answer: MitakeAnswer) -> SendError | None:
    """None when the message was accepted; else the error, transient or permanent."""
    code = answer.status
    if code in ACCEPTED and answer.msgid:
        return None
    said = redact(answer.fields.get("Error", ""))
    detail = f" ({said})" if said else ""
    if code in PERMANENT_CODES:
        return PermanentSendError(f"mitake-{code}", PERMANENT_CODES[code] + detail)
    if code in ACCOUNT_CODES:
        return TransientSendError(f"Mitake statuscode={code}: {ACCOUNT_CODES[code]}{detail}")
    if code in BUSY_CODES:
        return TransientSendError(f"Mitake statuscode={code}: {BUSY_CODES[code]}{detail}")
    # An answer we cannot read (a proxy's page, a code not in the vendor's table): try again.
    return TransientSendError(f"unexpected answer from Mitake: statuscode={code!r}{detail}")


class MitakeSms:
    """Sends SMS with Mitake's SmSend; raises Transient/PermanentSendError on failure.

    ``credit`` is the last ``AccountPoint`` Mitake reported (None before the first send), and
    every accepted send's ``SendResult.credit`` carries it too, for the dispatcher to record.
    """

    name = "mitake"

    def __init__(
        self,
        username: str,
        password: str,
        *,
        api_base: str,
        callback_url: str | None = None,
        timeout: float = 10,
    ) -> None:
        self._credentials = {"username": username, "password": password}
        self._send_url = api_base.rstrip("/") + "/SmSend"
        self._callback_url = callback_url
        self._timeout = timeout
        # One session per channel: keep-alive connections are reused across a dispatch run.
        self._session = requests.Session()
        self._session.trust_env = False
        self.credit: int | None = None

    def send_sms(
        self, to: str, body: str, *, reference: str, dedupe_key: str | None = None
    ) -> SendResult:
        """Hand one SMS to Mitake; ``dedupe_key`` becomes its ``clientid``."""
        form: dict[str, Any] = {
            **self._credentials,
            "dstaddr": mitake_number(to),
            "smbody": body.replace("\r\n", "\n").replace("\n", "\x06"),
            "clientid": client_id(dedupe_key or reference),
        }
        if self._callback_url:
            form["response"] = self._callback_url
        try:
            answer = self._post(form)
        except requests.Timeout as exc:
            # Mitake may have taken it; the retry carries the same clientid, which Mitake
            # answers without sending again.
            raise TransientSendError(
                f"Mitake timed out: {type(exc).__name__}", maybe_sent=True
            ) from exc
        except requests.RequestException as exc:
            raise TransientSendError(f"cannot reach Mitake: {type(exc).__name__}") from exc
        if answer.account_point is not None:
            self.credit = answer.account_point
        error = classify(answer)
        if error is not None:
            raise error
        assert answer.msgid is not None
        if answer.duplicate:
            log.warning("notice %s: Mitake already had it (clientid); not sent again", reference)
        return SendResult(
            provider_id=answer.msgid,
            status="duplicate" if answer.duplicate else "sent",
            credit=answer.account_point,
        )

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """Never needed: a resend carries the same ``clientid`` and Mitake refuses to repeat it."""
        return None

    def close_idle(self) -> None:
        """Close the idle keep-alive connections."""
        self._session.close()

    def _post(self, form: dict[str, Any]) -> MitakeAnswer:
        response = self._session.post(
            self._send_url,
            params={"CharsetURL": "UTF8"},
            data={key: str(value).encode("utf-8") for key, value in form.items()},
            timeout=self._timeout,
        )
        if response.status_code >= 400:
            raise TransientSendError(f"Mitake answered HTTP {response.status_code}")
        return parse_answer(decode(response.content, _charset(response.headers)))


def _charset(headers: Mapping[str, str]) -> str | None:
    """The charset the answer declares, if any (requests would guess ISO-8859-1 for text)."""
    for part in headers.get("Content-Type", "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return None
