"""Fixtures: the Twilio, Mitake and LINE stand-ins and SMTP sinks, each a real server on
127.0.0.1, per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.line_standin import LineStandin
from tests.support.mitake_standin import MitakeStandin
from tests.support.smtp_sink import SmtpSink, TlsFiles, make_tls_files
from tests.support.twilio_standin import TwilioStandin

# The sink refuses these at RCPT: a final no, and a "try again later".
GONE = "gone@example.org"
BUSY = "busy@example.org"
SMTP_USER, SMTP_PASSWORD = "notices", "p@ss:word/1"
# How long the stand-in sleeps for an injected timeout, and the client timeout that it beats.
# The client's timeout must also outlast an ordinary answer on a loaded CI machine (0.3 s did not,
# once, under xdist: a LINE push came back as a retry).
STANDIN_SLEEP = 3.0
CLIENT_TIMEOUT = 1.0


@pytest.fixture
def twilio_standin() -> Iterator[TwilioStandin]:
    """A Twilio Messages API stand-in on a free loopback port."""
    with TwilioStandin(timeout_seconds=STANDIN_SLEEP) as standin:
        yield standin


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1."""
    directory: Path = tmp_path_factory.mktemp("tls")
    return make_tls_files(directory)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A plain SMTP server that refuses GONE with 550 and BUSY with 451."""
    with SmtpSink(refuse={GONE: 550, BUSY: 451}) as sink:
        yield sink


@pytest.fixture
def starttls_sink(tls_files: TlsFiles) -> Iterator[SmtpSink]:
    """An SMTP server offering STARTTLS and requiring AUTH."""
    with SmtpSink(tls=tls_files, credentials=(SMTP_USER, SMTP_PASSWORD)) as sink:
        yield sink


@pytest.fixture
def smtps_sink(tls_files: TlsFiles) -> Iterator[SmtpSink]:
    """An SMTP server speaking TLS from the first byte (smtps://)."""
    with SmtpSink(tls=tls_files, implicit_tls=True) as sink:
        yield sink


@pytest.fixture
def mitake_standin() -> Iterator[MitakeStandin]:
    """A 三竹 Mitake SmSend stand-in on a free loopback port."""
    with MitakeStandin(timeout_seconds=STANDIN_SLEEP) as standin:
        yield standin


@pytest.fixture
def line_standin() -> Iterator[LineStandin]:
    """A LINE Messaging API stand-in on a free loopback port."""
    with LineStandin(timeout_seconds=STANDIN_SLEEP) as standin:
        yield standin
