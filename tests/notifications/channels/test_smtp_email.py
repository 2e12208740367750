"""The SMTP channel against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from notifications.channels.base import EmailChannel, PermanentSendError, TransientSendError
from notifications.channels.smtp_email import SmtpEmail
from notifications.render import render
from tests.notifications.conftest import BUSY, GONE, SMTP_USER
from tests.notifications.test_render import values
from tests.support.smtp_sink import SmtpSink, TlsFiles

FROM = "notices@kcg.gov.tw"
TO = "wang@example.org"
SUBJECT = "收件確認：低收入戶申請（案號 20260413-0001）"
TEXT = "王○明 您好：\n\n本機關已收到您的申請。\n"
HTML = "<p>王○明 您好：</p><p>本機關已收到您的申請。</p>"
# Percent-encoded as a URL must carry it: '@', ':' and '/' are in the password.
ENCODED_PASSWORD = "p%40ss%3Aword%2F1"


def send(email: SmtpEmail, to: str = TO) -> str:
    """Send the sample message; the provider id."""
    return email.send_email(to, SUBJECT, TEXT, HTML, reference="notice-7").provider_id


def test_a_message_arrives_multipart_utf8_with_its_id(smtp_sink: SmtpSink) -> None:
    email = SmtpEmail(smtp_sink.url(), FROM)
    assert isinstance(email, EmailChannel)
    result = email.send_email(TO, SUBJECT, TEXT, HTML, reference="notice-7")
    assert result.status == "sent"
    [mail] = smtp_sink.messages
    assert mail.mail_from == FROM and mail.rcpt_tos == [TO] and not mail.tls
    message = mail.message
    assert message["Subject"] == SUBJECT  # decoded from its RFC 2047 encoded form
    assert b"=?utf-8?" in mail.data  # and it was encoded on the wire
    assert (message["From"], message["To"]) == (FROM, TO)
    assert message["Message-ID"] == f"<{result.provider_id}>"
    assert result.provider_id.endswith("@kcg.gov.tw") and len(result.provider_id) <= 64
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    # Line ends travel as CRLF, as SMTP wants.
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().strip() == HTML


def test_a_rendered_notice_goes_through_whole(smtp_sink: SmtpSink) -> None:
    rendered = render("supplement", "email", "zh-TW", values("supplement"))
    assert rendered.subject and rendered.text and rendered.html
    SmtpEmail(smtp_sink.url(), FROM).send_email(
        TO, rendered.subject, rendered.text, rendered.html, reference="notice-8"
    )
    message = smtp_sink.messages[0].message
    plain, html = message.iter_parts()
    assert message["Subject"] == rendered.subject
    assert plain.get_content().replace("\r\n", "\n") == rendered.text
    assert html.get_content().replace("\r\n", "\n") == rendered.html


def test_each_message_gets_its_own_id(smtp_sink: SmtpSink) -> None:
    email = SmtpEmail(smtp_sink.url(), FROM)
    assert send(email) != send(email)


def test_starttls_is_used_when_offered_and_login_follows(
    starttls_sink: SmtpSink, tls_files: TlsFiles
) -> None:
    url = starttls_sink.url("smtp", SMTP_USER, ENCODED_PASSWORD)
    send(SmtpEmail(url, FROM, ssl_context=tls_files.client_context()))
    [mail] = starttls_sink.messages
    assert mail.tls


def test_refused_credentials_are_a_transient_configuration_problem(
    starttls_sink: SmtpSink, tls_files: TlsFiles
) -> None:
    url = starttls_sink.url("smtp", SMTP_USER, "wrong")
    with pytest.raises(TransientSendError, match="set-up failed: 535"):
        send(SmtpEmail(url, FROM, ssl_context=tls_files.client_context()))
    assert starttls_sink.messages == []


def test_an_untrusted_certificate_is_refused(starttls_sink: SmtpSink) -> None:
    # The system CAs do not know the test certificate: never send in the clear instead.
    url = starttls_sink.url("smtp", SMTP_USER, ENCODED_PASSWORD)
    with pytest.raises(TransientSendError, match="CERTIFICATE_VERIFY_FAILED"):
        send(SmtpEmail(url, FROM))


def test_smtps_speaks_tls_from_the_start(smtps_sink: SmtpSink, tls_files: TlsFiles) -> None:
    send(SmtpEmail(smtps_sink.url("smtps"), FROM, ssl_context=tls_files.client_context()))
    [mail] = smtps_sink.messages
    assert mail.tls


def test_a_recipient_refused_for_good_is_permanent(smtp_sink: SmtpSink) -> None:
    with pytest.raises(PermanentSendError) as caught:
        send(SmtpEmail(smtp_sink.url(), FROM), to=GONE)
    assert caught.value.code == 550
    assert "5.1.1" in caught.value.reason
    assert GONE not in str(caught.value)
    assert smtp_sink.messages == []


def test_a_recipient_refused_for_now_is_transient(smtp_sink: SmtpSink) -> None:
    with pytest.raises(TransientSendError, match="451"):
        send(SmtpEmail(smtp_sink.url(), FROM), to=BUSY)


def test_a_server_that_is_down_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientSendError, match="cannot connect"):
        send(SmtpEmail(f"smtp://127.0.0.1:{port}", FROM))


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_server_that_never_answers_times_out_as_transient(silent_server: int) -> None:
    started = time.monotonic()
    with pytest.raises(TransientSendError, match="timed out"):
        send(SmtpEmail(f"smtp://127.0.0.1:{silent_server}", FROM, timeout=0.3))
    assert time.monotonic() - started < 3


def test_a_line_break_in_the_subject_is_permanent(smtp_sink: SmtpSink) -> None:
    email = SmtpEmail(smtp_sink.url(), FROM)
    with pytest.raises(PermanentSendError, match="invalid-message"):
        email.send_email(TO, "a\nBcc: victim@example.org", TEXT, HTML, reference="n")
    with pytest.raises(PermanentSendError, match="not a valid email address"):
        email.send_email("not an address@@", SUBJECT, TEXT, HTML, reference="n")
    assert smtp_sink.messages == []


def test_urls_are_read_with_their_default_ports() -> None:
    assert (SmtpEmail("smtp://mail.kcg.gov.tw", FROM).port, SmtpEmail("smtp://h", FROM).host) == (
        25,
        "h",
    )
    secure = SmtpEmail("smtps://u:p@mail.kcg.gov.tw", FROM)
    assert (secure.port, secure.implicit_tls) == (465, True)
    assert SmtpEmail("smtp://mail.kcg.gov.tw:587", FROM).port == 587
    with pytest.raises(ValueError, match="smtp://"):
        SmtpEmail("http://mail.kcg.gov.tw", FROM)


def test_messages_share_a_connection_while_it_is_fresh(smtp_sink: SmtpSink) -> None:
    email = SmtpEmail(smtp_sink.url(), FROM)
    ids = {send(email) for _ in range(3)}
    assert len(ids) == 3 and len(smtp_sink.messages) == 3
    assert smtp_sink.greetings == 1  # one session, not three
    email.close_idle()
    send(email)
    assert smtp_sink.greetings == 2


def test_a_refusal_does_not_spoil_the_next_message(smtp_sink: SmtpSink) -> None:
    email = SmtpEmail(smtp_sink.url(), FROM)
    send(email)
    with pytest.raises(PermanentSendError):
        send(email, to=GONE)
    send(email)
    assert [mail.rcpt_tos for mail in smtp_sink.messages] == [[TO], [TO]]


def test_a_session_the_server_dropped_is_replaced_before_sending() -> None:
    with SmtpSink(idle_timeout=0.3) as sink:
        email = SmtpEmail(sink.url(), FROM)
        send(email)
        time.sleep(0.8)  # the server hangs up on the idle session
        send(email)
        assert len(sink.messages) == 2
        assert sink.greetings == 2
