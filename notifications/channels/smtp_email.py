"""Email through an SMTP server (``smtp://`` with STARTTLS when offered, or ``smtps://``)."""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
import uuid
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlsplit

from notifications.channels.base import PermanentSendError, SendResult, TransientSendError, redact
from tracker.clock import utc_now

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


# A connection is reused while it is fresh: servers drop idle sessions (RFC 5321 suggests after
# 5 minutes) and some cap the messages per session.
REUSE_IDLE_SECONDS = 10.0
REUSE_MESSAGES = 100
# The classic (compat32) email classes with SMTP's CRLF: a tenth of the CPU of EmailMessage, whose
# header registry parsed and re-folded every header (a fifth of a dispatch worker's time). The
# headers we write are few and known, so we check them ourselves (see _message).
_WIRE = compat32.clone(linesep="\r\n")


class SmtpEmail:
    """Sends multipart (plain text + HTML) UTF-8 email over a few reused connections.

    Thread-safe: each sending thread takes an idle connection (or opens one) and gives it back
    after a message that went through. ``close_idle`` says goodbye to the idle ones.
    """

    name = "smtp"

    def __init__(
        self,
        url: str,
        mail_from: str,
        timeout: float = 10,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError("SMTP URL must be smtp://user:pass@host:port or smtps://...")
        self.host: str = parts.hostname
        self.port: int = parts.port or _DEFAULT_PORTS[parts.scheme]
        self.implicit_tls = parts.scheme == "smtps"
        # Percent-encoding lets a password hold '@', ':' or '/'.
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self.mail_from = mail_from
        self.timeout = timeout
        # A private CA (or a test's self-signed certificate) comes in here; default: system CAs.
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._domain = mail_from.rpartition("@")[2] or "localhost"
        self._idle: list[tuple[smtplib.SMTP, float, int]] = []  # connection, since, messages
        self._lock = threading.Lock()

    def send_email(
        self, to: str, subject: str, text: str, html: str, *, reference: str
    ) -> SendResult:
        """Send one email; the Message-ID (without brackets) is the provider id."""
        message_id = self._message_id()
        try:
            message = self._message(to, subject, text, html, message_id)
        except ValueError as exc:
            # A line break or an impossible address in a header: no retry will fix it.
            raise PermanentSendError("invalid-message", redact(str(exc))) from exc
        smtp, messages = self._checkout()
        try:
            self._send(smtp, message, to)
        except BaseException:
            # After a refusal or a broken connection its state is unknown: never reuse it.
            _close(smtp)
            raise
        self._checkin(smtp, messages + 1)
        return SendResult(provider_id=message_id.strip("<>"), status="sent")

    def close_idle(self) -> None:
        """QUIT every idle connection (at the end of a dispatch run)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for smtp, _, _ in idle:
            _close(smtp)

    def _checkout(self) -> tuple[smtplib.SMTP, int]:
        """A live connection: a fresh-enough idle one that answers RSET, or a new one."""
        while True:
            with self._lock:
                entry = self._idle.pop() if self._idle else None
            if entry is None:
                return self._connect(), 0
            smtp, since, messages = entry
            if time.monotonic() - since > REUSE_IDLE_SECONDS:
                _close(smtp)
                continue
            try:
                # Before any of the message goes out: a dropped session fails here, harmlessly.
                smtp.rset()
            except (smtplib.SMTPException, OSError):
                smtp.close()
                continue
            return smtp, messages

    def _checkin(self, smtp: smtplib.SMTP, messages: int) -> None:
        if messages >= REUSE_MESSAGES:
            _close(smtp)
            return
        with self._lock:
            self._idle.append((smtp, time.monotonic(), messages))

    def _message_id(self) -> str:
        """A new Message-ID in our sender's domain."""
        # 24 hex digits (96 random bits) keep the id unique and short enough for provider_id.
        return f"<{uuid.uuid4().hex[:24]}@{self._domain}>"

    def _message(self, to: str, subject: str, text: str, html: str, message_id: str) -> bytes:
        """The multipart/alternative message as sent; ValueError for a header that cannot be."""
        if any(c in value for value in (to, subject) for c in "\r\n"):
            raise ValueError("a header may not hold a line break")
        _, address = parseaddr(to)
        if address != to or to.count("@") != 1 or " " in to:
            raise ValueError("the recipient address is not a valid email address")
        message = MIMEMultipart("alternative", policy=_WIRE)
        # RFC 2047 encoded words for a non-ASCII subject; plain ASCII stays readable.
        message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")  # type: ignore[assignment]
        message["From"] = self.mail_from
        message["To"] = to
        message["Date"] = format_datetime(utc_now())
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
        message.attach(MIMEText(text, "plain", "utf-8", policy=_WIRE))
        message.attach(MIMEText(html, "html", "utf-8", policy=_WIRE))
        return message.as_bytes()

    def _connect(self) -> smtplib.SMTP:
        """Connect, secure the connection and log in; every failure here is transient."""
        try:
            smtp: smtplib.SMTP
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self._domain,
                    timeout=self.timeout,
                    context=self._ssl_context,
                )
            else:
                # The sender's domain as the EHLO name: getfqdn() can stall on reverse DNS.
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=self._domain, timeout=self.timeout
                )
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(
                f"cannot connect to the mail server: {_describe(exc)}"
            ) from exc
        try:
            smtp.ehlo()
            if not self.implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=self._ssl_context)
                smtp.ehlo()
            if self._user:
                smtp.login(self._user, self._password)
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp)
            # Refused credentials, a failed TLS handshake, AUTH not offered: configuration,
            # which a person fixes while the notice waits. Not the recipient's fault.
            raise TransientSendError(f"mail server set-up failed: {_describe(exc)}") from exc
        return smtp

    def _send(self, smtp: smtplib.SMTP, message: bytes, to: str) -> None:
        """MAIL, RCPT and DATA, with the server's refusals classified."""
        # A non-ASCII address needs SMTPUTF8; a server without it refuses (NotSupported).
        utf8 = () if to.isascii() and self.mail_from.isascii() else ("SMTPUTF8",)
        try:
            smtp.sendmail(self.mail_from, [to], message, mail_options=utf8)
        except smtplib.SMTPRecipientsRefused as exc:
            # One recipient per message, so its refusal is the whole answer.
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            raise _by_code(code, "recipient refused", reply) from exc
        except smtplib.SMTPSenderRefused as exc:
            # MAIL FROM refused: our configuration (MAIL_FROM), not this recipient's problem.
            raise TransientSendError(
                f"the mail server refused the sender MAIL_FROM: {_describe(exc)}"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # The address needs SMTPUTF8 and this server cannot carry it: it never will.
            raise PermanentSendError("smtputf8", redact(str(exc))) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, "message refused", exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"mail server connection failed: {_describe(exc)}") from exc


def _by_code(code: int, what: str, reply: bytes | str) -> PermanentSendError | TransientSendError:
    """SMTP reply codes: 5xx is a final no, 4xx (and anything odd) is 'try again later'."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"{what}: {code} {redact(text)}".strip()
    if 500 <= code < 600:
        return PermanentSendError(code, reason)
    return TransientSendError(reason)


def _describe(exc: BaseException) -> str:
    """An SMTP or socket error in a few words, without addresses."""
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {redact(text)}"
    return f"{type(exc).__name__}: {redact(str(exc))}"


def _close(smtp: smtplib.SMTP) -> None:
    """Say QUIT, and never let a failed goodbye undo a message the server already took."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
