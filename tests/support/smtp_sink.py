"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests.

``SmtpSink()`` accepts everything; ``SmtpSink(refuse={"a@example.org": 550})`` answers RCPT for
that address with the code (550 → a final no, 451 → try later). ``tls=TlsFiles`` offers
STARTTLS (or, with ``implicit_tls=True``, speaks TLS from the first byte, like smtps://);
``credentials=("user", "pass")`` requires AUTH. ``make_tls_files`` writes a self-signed
certificate for 127.0.0.1 with the ``openssl`` command.

Run alone (a process of its own, so that a benchmark's sink shares no GIL with its sender):
``python -m tests.support.smtp_sink --port 8025``; it serves until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

_TEXTS = {
    550: "550 5.1.1 Recipient address rejected: no such user",
    451: "451 4.3.0 Temporary failure, try again later",
}


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and its key, as files; ``client_context`` trusts exactly this certificate."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """The server's TLS context."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that verifies the server against this certificate alone."""
        return ssl.create_default_context(cafile=str(self.cert))


def make_tls_files(directory: Path) -> TlsFiles:
    """A fresh self-signed certificate for 127.0.0.1 and localhost (EC P-256, two days)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [
        *("openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
        *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
        *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        *("-keyout", str(key), "-out", str(cert)),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return TlsFiles(cert, key)


@dataclass
class ReceivedMail:
    """One message the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool  # whether the message came over TLS (STARTTLS or implicit)
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        self.message = cast(EmailMessage, message_from_bytes(self.data, policy=policy.default))


class _Handler:
    """aiosmtpd hooks: refuse chosen recipients, keep every accepted message."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_EHLO(  # noqa: N802 - aiosmtpd finds hooks by this name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """Count the greetings: one per connection (and one more after STARTTLS)."""
        with self.sink._lock:
            self.sink.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(  # noqa: N802 - aiosmtpd finds hooks by this name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Refuse the chosen recipients with their code, accept the others."""
        code = self.sink.refuse.get(address.lower())
        if code is not None:
            return _TEXTS.get(code, f"{code} Refused")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd finds hooks by this name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Keep the message."""
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode()
        tls = server.transport is not None and bool(server.transport.get_extra_info("ssl_object"))
        self.sink._keep(
            ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(data), tls)
        )
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's controller on a port the system picks (port 0)."""

    def _trigger_server(self) -> None:
        """Learn the port the system chose, then let aiosmtpd probe it."""
        # The controller's own readiness probe connects to self.port: make it the real one.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    """The server and what it received; a context manager, or start() and stop()."""

    def __init__(
        self,
        *,
        refuse: dict[str, int] | None = None,
        tls: TlsFiles | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
        idle_timeout: float = 300,
        port: int = 0,
    ) -> None:
        self.greetings = 0
        self.refuse = {address.lower(): code for address, code in (refuse or {}).items()}
        self.credentials = credentials
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []
        # aiosmtpd drops a session idle this long (seconds), as real servers do.
        kwargs: dict[str, Any] = {"timeout": idle_timeout}
        if tls is not None and implicit_tls:
            kwargs["ssl_context"] = tls.server_context()
        elif tls is not None:
            kwargs["tls_context"] = tls.server_context()
        if credentials is not None:
            kwargs["authenticator"] = self._authenticate
            # Tests log in over plain SMTP as well as after STARTTLS.
            kwargs["auth_require_tls"] = False
        self._controller = _Controller(_Handler(self), hostname="127.0.0.1", port=port, **kwargs)

    @property
    def host(self) -> str:
        """The address it listens on."""
        return "127.0.0.1"

    @property
    def port(self) -> int:
        """The port it listens on (known once started)."""
        return int(self._controller.port)

    def url(
        self, scheme: str = "smtp", user: str | None = None, password: str | None = None
    ) -> str:
        """``smtp://[user:pass@]127.0.0.1:port`` for SmtpEmail."""
        auth = f"{user}:{password}@" if user else ""
        return f"{scheme}://{auth}{self.host}:{self.port}"

    def start(self) -> SmtpSink:
        """Serve in aiosmtpd's background thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        """Every accepted message, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def _keep(self, mail: ReceivedMail) -> None:
        """Keep one accepted message."""
        with self._lock:
            self._messages.append(mail)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Accept exactly the configured login and password."""
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False)


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C; say how many messages were taken on the way out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with SmtpSink(port=args.port) as sink:
        print(f"SMTP sink on {sink.url()}; Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopping.wait()
        print(f"received {len(sink.messages)} messages", flush=True)


if __name__ == "__main__":
    main()
